// footfall('on', signal, callback): the page can react at the moment of friction.

export function createSignals() {
  const listeners = {};
  return {
    on: (signal, callback) => (listeners[signal] ||= []).push(callback),
    emit: (signal, detail) =>
      (listeners[signal] || []).forEach((callback) => {
        try {
          callback(detail);
        } catch (x) {
          // the site's own handler failed; the others still run
        }
      }),
  };
}
