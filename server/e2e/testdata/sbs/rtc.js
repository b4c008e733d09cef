// Runs before any script of the engineer's pages: keeps every
// RTCPeerConnection the page makes, so the side-by-side benchmark can ask
// getStats how many bytes the peer-to-peer path received.
(() => {
  const Base = window.RTCPeerConnection;
  if (!Base) return;
  window.__sbsPeers = [];
  window.RTCPeerConnection = class extends Base {
    constructor(...args) {
      super(...args);
      window.__sbsPeers.push(this);
    }
  };
  window.__sbsPeerBytes = async () => {
    let channel = 0, transport = 0;
    for (const pc of window.__sbsPeers) {
      if (pc.connectionState === "closed") continue;
      (await pc.getStats()).forEach((r) => {
        if (r.type === "data-channel") channel += r.bytesReceived || 0;
        if (r.type === "transport") transport += r.bytesReceived || 0;
      });
    }
    return [channel, transport];
  };
})();
