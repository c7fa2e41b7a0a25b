/** Types of the parts of tr46 (UTS #46 IDNA processing) the manifest core uses. */
declare module 'tr46' {
  /** The UTS #46 processing flags (https://unicode.org/reports/tr46/#Processing). */
  export interface Tr46Options {
    checkBidi?: boolean;
    checkHyphens?: boolean;
    checkJoiners?: boolean;
    ignoreInvalidPunycode?: boolean;
    transitionalProcessing?: boolean;
    useSTD3ASCIIRules?: boolean;
    verifyDNSLength?: boolean;
  }
  /** The ToASCII operation: the A-label form, or null when the name is invalid. */
  export function toASCII(domainName: string, options?: Tr46Options): string | null;
  /** The ToUnicode operation: the U-label form, and whether any label was invalid. */
  export function toUnicode(domainName: string, options?: Tr46Options): { domain: string; error: boolean };
}
