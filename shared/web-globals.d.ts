// The few web-standard globals that both runtimes of shared/ (Node and the browser) provide.
// Declared by hand so that shared/ compiles with neither the DOM nor node type libraries.
declare class URL {
  constructor(url: string, base?: string);
  readonly protocol: string;
  readonly hostname: string;
  readonly host: string;
  readonly port: string;
  readonly username: string;
  readonly password: string;
  readonly pathname: string;
  readonly origin: string;
  toString(): string;
}
