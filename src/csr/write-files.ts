import { closeSync, existsSync, fchmodSync, mkdirSync, openSync, writeSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { CsrInputError } from '../errors.js'

export interface OutputPaths {
  readonly keyFile: string
  readonly csrFile: string
}

/**
 * Refuses, before anything is written, when the two paths are one or when a
 * file is in the way and `force` is false: a private key that already has a
 * certificate must never be lost to a second run.
 */
export function checkOutputs (paths: OutputPaths, force: boolean): void {
  if (resolve(paths.keyFile) === resolve(paths.csrFile)) {
    throw new CsrInputError('--key-out', 'the key and the CSR cannot be the same file')
  }
  if (force) return
  for (const [flag, path] of [['--key-out', paths.keyFile], ['--csr-out', paths.csrFile]] as const) {
    if (existsSync(path)) {
      throw new CsrInputError(flag, `${path} already exists; nothing was written (give --force to replace it, after keeping a copy of any key that has a certificate)`, 'CSR_FILE_EXISTS')
    }
  }
}

/** Writes the key with mode 0600 (and the CSR 0644); `force` replaces existing files. */
export function writeOutputs (paths: OutputPaths, keyPem: string, csrPem: string, force: boolean): void {
  mkdirSync(dirname(resolve(paths.keyFile)), { recursive: true })
  mkdirSync(dirname(resolve(paths.csrFile)), { recursive: true })
  writeExclusive('--key-out', paths.keyFile, keyPem, 0o600, force)
  writeExclusive('--csr-out', paths.csrFile, csrPem, 0o644, force)
}

function writeExclusive (flag: string, path: string, text: string, mode: number, force: boolean): void {
  let fd: number
  try {
    // 'wx' fails if the file appeared since checkOutputs: no race can clobber a key
    fd = openSync(path, force ? 'w' : 'wx', mode)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EEXIST') throw new CsrInputError(flag, `${path} already exists (give --force to replace it)`, 'CSR_FILE_EXISTS')
    throw new CsrInputError(flag, `cannot write ${path}: ${code ?? (err as Error).message}`, 'CSR_INPUT_INVALID', { cause: err })
  }
  try {
    // the umask, or an older file replaced with --force, may have left wider bits
    fchmodSync(fd, mode)
    writeSync(fd, text)
  } finally {
    closeSync(fd)
  }
}
