import { isAbsolute, relative, resolve, sep } from 'node:path';

/** `/`-separated path of `target` relative to `from`, as shown in messages and generated files. */
export function relativePosix(from: string, target: string): string {
  const path = relative(from, target).split(sep).join('/');
  return path === '' ? '.' : path;
}

/** How a path is shown to the user: relative to the working folder when inside it, else absolute. */
export function displayPath(cwd: string, path: string): string {
  const absolute = resolve(cwd, path);
  const shown = relativePosix(cwd, absolute);
  return shown.startsWith('../') || isAbsolute(shown) ? absolute.split(sep).join('/') : shown;
}

/**
 * An ES module specifier for importing the TypeScript file `target` from a file in `fromFolder`,
 * written the NodeNext way: relative, `/`-separated, with the extension the compiled file will have.
 */
export function importSpecifier(fromFolder: string, target: string): string {
  let path = relativePosix(fromFolder, target).replace(/\.([cm]?)tsx?$/, (_match, kind: string) => `.${kind}js`);
  if (!path.startsWith('../') && !path.startsWith('./')) path = './' + path;
  return path;
}

/** A folder specifier relative to another folder (`..`, `../generated`), for `import ... from '<it>/worker.js'`. */
export function folderSpecifier(fromFolder: string, target: string): string {
  const path = relativePosix(fromFolder, target);
  if (path === '.') return '.';
  return path.startsWith('../') || path === '..' ? path : './' + path;
}
