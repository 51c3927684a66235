import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

let generation = 0

/**
 * A folder laid out as the kubelet lays out a Secret volume: the files are
 * symlinks `name -> ..data/name`, `..data` is a symlink to a timestamped
 * folder, and an update writes a new folder and renames a new `..data`
 * over the old one: the paths the sidecar watches never change.
 */
export class K8sSecretDir {
  readonly root: string
  #current: string | undefined

  constructor (root: string, files: Record<string, string>) {
    this.root = root
    mkdirSync(root, { recursive: true })
    this.#current = this.#writeGeneration(files)
    symlinkSync(this.#current, join(root, '..data'))
    for (const name of Object.keys(files)) symlinkSync(join('..data', name), join(root, name))
  }

  path (name: string): string { return join(this.root, name) }

  /** The kubelet's atomic update. */
  update (files: Record<string, string>): void {
    const previous = this.#current
    this.#current = this.#writeGeneration(files)
    const tmp = join(this.root, '..data_tmp')
    symlinkSync(this.#current, tmp)
    renameSync(tmp, join(this.root, '..data'))
    if (previous !== undefined) rmSync(join(this.root, previous), { recursive: true, force: true })
  }

  #writeGeneration (files: Record<string, string>): string {
    const name = `..2026_11_29_00_00_00.${process.pid}_${++generation}`
    const dir = join(this.root, name)
    mkdirSync(dir)
    for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text, { mode: 0o600 })
    return name
  }
}
