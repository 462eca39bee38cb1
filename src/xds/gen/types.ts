/** The generators' output unit, apart from index.ts so every generator can import it without a cycle. */
export interface NamedResource {
  name: string;
  resource: Record<string, unknown>;
}
