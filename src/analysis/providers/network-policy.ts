// Networks metric providers may not connect to. Provider URLs come from AnalysisTemplates, which
// namespace editors write, and the controller answers them from inside the cluster: without a
// deny list, a Web metric pointed at the cloud metadata service (169.254.169.254, or
// fd00:ec2::254 on EC2's IPv6) would read the node's credentials into AnalysisRun status. The
// check is made on every address a host name resolves to, at connect time, so a DNS name that
// resolves into a denied network is refused too (and no second resolution can differ from the
// one checked). Configured by `slipway controller --metric-provider-denied-networks`.
import { BlockList, isIP } from 'node:net';

/** Link-local IPv4 (cloud metadata services, among others) and EC2's IPv6 metadata address. */
export const DEFAULT_DENIED_NETWORKS: readonly string[] = ['169.254.0.0/16', 'fd00:ec2::254/128'];

/** The flag that sets the list, named in refusals so an operator knows where to look. */
export const DENIED_NETWORKS_FLAG = '--metric-provider-denied-networks';

interface Entry {
  readonly text: string;
  readonly list: BlockList;
}

export class NetworkPolicy {
  private constructor(private readonly entries: readonly Entry[]) {}

  /** `cidrs`: `a.b.c.d/n`, `x::y/n` or a bare address. Throws naming the first invalid one. */
  static of(cidrs: readonly string[]): NetworkPolicy {
    const entries = cidrs
      .map((cidr) => cidr.trim())
      .filter((cidr) => cidr !== '')
      .map((text): Entry => {
        const [address = '', prefixText, extra] = text.split('/');
        const family = isIP(address);
        const maxPrefix = family === 4 ? 32 : 128;
        const prefix = prefixText === undefined ? maxPrefix : Number(prefixText);
        if (
          family === 0 ||
          extra !== undefined ||
          !/^\d+$/.test(prefixText ?? String(maxPrefix)) ||
          prefix > maxPrefix
        ) {
          throw new Error(`invalid network "${text}": want an IPv4 or IPv6 CIDR such as 169.254.0.0/16`);
        }
        const list = new BlockList();
        list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
        return { text, list };
      });
    return new NetworkPolicy(entries);
  }

  /** The networks, as configured. */
  get networks(): string[] {
    return this.entries.map((entry) => entry.text);
  }

  /** The denied network containing `address` (an IP literal), if any. IPv4-mapped IPv6 counts as IPv4. */
  deniedNetworkOf(address: string): string | undefined {
    const family = isIP(address);
    if (family === 0) return undefined;
    const type = family === 4 ? 'ipv4' : 'ipv6';
    return this.entries.find((entry) => entry.list.check(address, type))?.text;
  }
}

export class DeniedAddressError extends Error {
  constructor(host: string, address: string, network: string) {
    const what = host === address ? `address ${address}` : `${host} resolves to ${address}, which`;
    super(
      `${what} is in the denied network ${network}; metric providers may not connect there (controller flag ${DENIED_NETWORKS_FLAG})`,
    );
    this.name = 'DeniedAddressError';
  }
}

let current = NetworkPolicy.of(DEFAULT_DENIED_NETWORKS);

/** Sets the process-wide list (from the controller's flag); an empty list allows every address. */
export function setProviderDeniedNetworks(cidrs: readonly string[]): void {
  current = NetworkPolicy.of(cidrs);
}

export function providerNetworkPolicy(): NetworkPolicy {
  return current;
}
