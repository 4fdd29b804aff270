// Running the debate on the live meeting page: the speakers' queue and the item timer
// (docs/live-protocol.md). A module of meeting-live.js, with the same context as
// live-comments.js; it owns the markup of templates/meetings/_debate.html.

export function setupDebate(ctx) {
  void ctx;
  return {
    onState() {},
    onEvent() {},
  };
}
