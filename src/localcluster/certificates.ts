// Certificates for the local control plane, made with the openssl CLI (Node can make keys
// but not X.509 certificates): a CA, the API server's serving certificate for 127.0.0.1,
// and the service-account signing key pair.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ControlPlaneCertificates {
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim() ?? '';
    throw new Error(`openssl ${args[0]} failed in ${cwd}: ${stderr || String(error)}`);
  }
}

export function createCertificates(dir: string): ControlPlaneCertificates {
  const files: ControlPlaneCertificates = {
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    servingCert: join(dir, 'apiserver.crt'),
    servingKey: join(dir, 'apiserver.key'),
    serviceAccountKey: join(dir, 'sa.key'),
    serviceAccountPub: join(dir, 'sa.pub'),
  };
  openssl(['genrsa', '-out', files.caKey, '2048'], dir);
  openssl(
    [
      'req',
      '-x509',
      '-new',
      '-nodes',
      '-key',
      files.caKey,
      '-subj',
      '/CN=slipway-local-ca',
      '-days',
      '3650',
      '-out',
      files.caCert,
    ],
    dir,
  );
  openssl(['genrsa', '-out', files.servingKey, '2048'], dir);
  const csr = join(dir, 'apiserver.csr');
  openssl(['req', '-new', '-key', files.servingKey, '-subj', '/CN=kube-apiserver', '-out', csr], dir);
  const extensions = join(dir, 'apiserver.ext');
  writeFileSync(
    extensions,
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc',
      '',
    ].join('\n'),
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      files.caCert,
      '-CAkey',
      files.caKey,
      '-CAcreateserial',
      '-days',
      '3650',
      '-extfile',
      extensions,
      '-out',
      files.servingCert,
    ],
    dir,
  );
  openssl(['genrsa', '-out', files.serviceAccountKey, '2048'], dir);
  openssl(['rsa', '-in', files.serviceAccountKey, '-pubout', '-out', files.serviceAccountPub], dir);
  return files;
}
