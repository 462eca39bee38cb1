/**
 * `run` made safe to call at any time: a call while it runs makes it run once more when it ends (however many calls
 * came meanwhile), and every caller gets the promise of the run in progress, settled when no call is left over.
 */
export function coalesced(run: () => Promise<void>): () => Promise<void> {
  let current: Promise<void> | undefined;
  let again = false;
  return () => {
    if (current) {
      again = true;
      return current;
    }
    current = (async () => {
      do {
        again = false;
        await run();
      } while (again);
    })().finally(() => {
      current = undefined;
    });
    return current;
  };
}
