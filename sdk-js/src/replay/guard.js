// Keeps recording from freezing a page that mutates thousands of nodes a second: attribute and
// text changes beyond PER_NODE per node per second are dropped from the recording (the replay
// then shows the node's state a little coarser), and when a page changes more than
// STORM_NODES nodes a second for STORM_SECONDS seconds running, recording stops for good.

export const PER_NODE = 10;
export const STORM_NODES = 5000;
export const STORM_SECONDS = 3;
const MUTATION = 0; // rrweb IncrementalSource.Mutation
const INCREMENTAL = 3; // rrweb EventType.IncrementalSnapshot

export function createMutationGuard({ onStorm, perNode = PER_NODE, stormNodes = STORM_NODES,
  stormSeconds = STORM_SECONDS }) {
  let second = -1;
  let perSecond = {};
  let changed = 0;
  let stormy = 0;
  let stormed = false;

  const tick = (time) => {
    const s = Math.floor(time / 1000);
    if (s == second) return;
    stormy = changed > stormNodes ? (s == second + 1 ? stormy + 1 : 1) : 0;
    if (stormy >= stormSeconds && !stormed) {
      stormed = true;
      onStorm();
    }
    second = s;
    perSecond = {};
    changed = 0;
  };
  const keep = (change) => {
    const n = (perSecond[change.id] = (perSecond[change.id] || 0) + 1);
    return n <= perNode;
  };

  /** The event to record (possibly thinned), or null to drop it. */
  return (event) => {
    tick(event.timestamp);
    if (stormed) return null;
    if (event.type != INCREMENTAL || event.data.source != MUTATION) return event;
    const data = event.data;
    changed += data.adds.length + data.removes.length + data.texts.length + data.attributes.length;
    const thinned = { ...data, texts: data.texts.filter(keep), attributes: data.attributes.filter(keep) };
    const empty = !thinned.adds.length && !thinned.removes.length && !thinned.texts.length && !thinned.attributes.length;
    return empty ? null : { ...event, data: thinned };
  };
}
