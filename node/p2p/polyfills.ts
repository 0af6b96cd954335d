// Node 20 shims for APIs the libp2p 3 stack calls unconditionally. Import this module before
// anything that loads libp2p (the daemon entry, node/p2p/index.ts, helper processes).
//
// Promise.withResolvers is a Node 22 API; libp2p 3, yamux and gossipsub use it at start and
// stop, and without it the node throws "Promise.withResolvers is not a function".

interface Resolvers<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

const PromiseCtor = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> };

if (typeof PromiseCtor.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    enumerable: false,
    value: function withResolvers<T>(): Resolvers<T> {
      let resolve!: Resolvers<T>['resolve'];
      let reject!: Resolvers<T>['reject'];
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

export {};
