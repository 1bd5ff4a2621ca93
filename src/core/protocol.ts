/**
 * The wire protocol between the stream server and the player (version 1): message types, their
 * byte-exact encoding, sequence arithmetic, clock synchronisation and codec strings. Pure and
 * isomorphic. The layout is documented in docs/protocol.md.
 */
export * from './protocol/messages.ts';
export * from './protocol/codec.ts';
export * from './protocol/sequence.ts';
export * from './protocol/clock-sync.ts';
export * from './protocol/codec-string.ts';
export * from './protocol/burn-in-layout.ts';
