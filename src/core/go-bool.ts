/** Booleans spelled as Go's strconv.ParseBool reads them, as Istio's agent and node metadata take them. Pure. */

const GO_BOOL: Readonly<Record<string, boolean>> = { 1: true, t: true, T: true, TRUE: true, true: true, True: true, 0: false, f: false, F: false, FALSE: false, false: false, False: false };

/** The boolean a string says in one of Go's spellings (own keys only: `toString` is no spelling); undefined otherwise. */
export const goBool = (v: string): boolean | undefined => (Object.hasOwn(GO_BOOL, v) ? GO_BOOL[v] : undefined);
