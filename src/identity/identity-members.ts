import { type Dirent, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { readSecretFile } from '../config/load-config.js'
import { describeFsError } from '../config/read-file-safely.js'
import type { Config } from '../config/schema.js'
import { ConfigError } from '../errors.js'

/** Trulioo lets an organisation hold at most this many live client certificates. */
export const MAX_MEMBERS = 5

/** The files of one member folder, as a Kubernetes `kubernetes.io/tls` Secret mounts them. */
export const MEMBER_CERT = 'tls.crt'
export const MEMBER_KEY = 'tls.key'
export const MEMBER_PASSPHRASE = 'passphrase'

/** Where one member of the identity set is read from. */
export interface MemberSource {
  /** The folder's name in TLS_IDENTITIES_DIR, or `TLS_CERT_FILE` / `TLS_PFX_FILE` for the one identity. */
  readonly name: string
  /** The member's folder; undefined for the one identity of the single-identity variables. */
  readonly dir: string | undefined
}

/**
 * The members the configuration names: each folder directly inside
 * TLS_IDENTITIES_DIR, or the one identity of TLS_CERT_FILE / TLS_PFX_FILE.
 * Names starting with `.` are kubelet's (`..data`, `..2026_…`) and ignored;
 * anything else that is not a folder, and more than MAX_MEMBERS folders, is a
 * start-up error naming it. A folder's own files are read by the load, so a
 * broken member fails alone.
 */
export function memberSources (config: Config): MemberSource[] {
  const dir = config.TLS_IDENTITIES_DIR
  if (dir === undefined) return [{ name: config.TLS_PFX_FILE === undefined ? 'TLS_CERT_FILE' : 'TLS_PFX_FILE', dir: undefined }]
  let entries: Dirent[]
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch (err) {
    throw new ConfigError('TLS_IDENTITIES_DIR', `cannot read ${dir}: ${describeFsError(err)}`, { code: 'IDENTITIES_DIR_INVALID' })
  }
  const members: MemberSource[] = []
  for (const entry of entries.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) {
    if (entry.name.startsWith('.')) continue
    const path = join(dir, entry.name)
    let isDir: boolean
    try {
      // a member may be a symlink to a folder
      isDir = statSync(path).isDirectory()
    } catch (err) {
      throw new ConfigError('TLS_IDENTITIES_DIR', `${path} cannot be read: ${describeFsError(err)}`, { code: 'IDENTITIES_DIR_INVALID' })
    }
    if (!isDir) {
      throw new ConfigError('TLS_IDENTITIES_DIR', `${path} is not a member folder: each entry must be a folder holding ${MEMBER_CERT} and ${MEMBER_KEY} (names starting with "." are ignored)`, { code: 'IDENTITIES_DIR_INVALID' })
    }
    members.push({ name: entry.name, dir: path })
  }
  if (members.length === 0) {
    throw new ConfigError('TLS_IDENTITIES_DIR', `${dir} holds no member folder: mount one folder per certificate, each with ${MEMBER_CERT} and ${MEMBER_KEY}`, { code: 'IDENTITIES_DIR_INVALID' })
  }
  if (members.length > MAX_MEMBERS) {
    throw new ConfigError('TLS_IDENTITIES_DIR', `${dir} holds ${members.length} member folders (${members.map((m) => m.name).join(', ')}): at most ${MAX_MEMBERS}, as Trulioo allows`, { code: 'IDENTITIES_DIR_INVALID' })
  }
  return members
}

/**
 * The configuration one member loads with: its folder's files in place of
 * the single-identity variables, and its own passphrase file when it has
 * one. The one identity's configuration is `config` itself.
 */
export function memberConfig (config: Config, source: MemberSource): Config {
  if (source.dir === undefined) return config
  const passphrasePath = join(source.dir, MEMBER_PASSPHRASE)
  let passphrase: string | undefined
  try {
    passphrase = readSecretFile(passphrasePath)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ConfigError('TLS_PASSPHRASE', `cannot read ${passphrasePath}: ${describeFsError(err)}`, { code: 'FILE_UNREADABLE' })
    }
  }
  const { TLS_PFX_FILE: _pfx, TLS_PASSPHRASE: _passphrase, ...rest } = config
  return Object.freeze({
    ...rest,
    TLS_CERT_FILE: join(source.dir, MEMBER_CERT),
    TLS_KEY_FILE: join(source.dir, MEMBER_KEY),
    ...(passphrase === undefined ? {} : { TLS_PASSPHRASE: passphrase })
  })
}

/** The files a member is read from: what a watcher watches. */
export function memberFiles (source: MemberSource): string[] {
  if (source.dir === undefined) return []
  return [MEMBER_CERT, MEMBER_KEY, MEMBER_PASSPHRASE].map((file) => join(source.dir as string, file))
}
