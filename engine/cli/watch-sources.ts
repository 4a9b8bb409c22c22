import path from 'node:path'
import { watch } from 'chokidar'

export interface SourceWatcher {
  close(): Promise<void>
}

/**
 * Watch a project's sources (`entries`, relative to `root`: files or folders, which need not
 * exist yet) and call `onChange` with the path of each changed file, relative to `root` and
 * with `/` separators. Resolves once the initial scan is done, so a save made after it is seen;
 * a watcher error after that goes to `onError`.
 *
 * chokidar, not `fs.watch`: an editor or `sed -i` saves by writing a temporary file and renaming
 * it over the original, and an `fs.watch` on that file stays attached to the replaced inode, so
 * every later save goes unseen. chokidar watches the folder and re-attaches to the new file.
 */
export async function watchSources(root: string, entries: readonly string[], onChange: (file: string) => void, onError: (error: unknown) => void): Promise<SourceWatcher> {
  const watcher = watch([...entries], {
    cwd: root,
    ignoreInitial: true,
    // Dependencies and koyalite's own output never change the definition; generate writes
    // generated/, so watching it would reload on every reload.
    ignored: (file) => path.relative(root, path.resolve(root, file)).split(path.sep).some((part) => part === 'node_modules' || part === 'generated'),
  })
  const report = (file: string) => onChange(file.split(path.sep).join('/'))
  watcher.on('add', report).on('change', report).on('unlink', report)
  await new Promise<void>((resolve, reject) => {
    watcher.once('ready', resolve)
    watcher.once('error', reject)
  })
  // An error after the scan (a folder made unreadable) is reported; the dev loop goes on.
  watcher.on('error', onError)
  return { close: () => watcher.close() }
}
