import { randomBytes } from 'node:crypto'
import type { SqliteDatabase } from '../../shared/sqlite.ts'
import type { SystemMigration } from '../system/system-schema.ts'
import type { PresenceMember } from './channels.ts'

/**
 * Channels across processes (decision 147). Every server on the database file writes what its
 * members broadcast, and their joins and parts, to `_koya_realtime_channel_events`, and reads the
 * others' entries by rowid at its poll, as it reads the change log; each delivers them to its
 * own members of the channel. Presence is `_koya_realtime_presence`: one row per member of any
 * process, refreshed by its process while it lives. A process that stops without parting (kill -9)
 * leaves rows that expire after `presenceTtlMs`: the first process to find one stale deletes it
 * and publishes the leave. Entries older than `retainMs` are purged, and the table never holds
 * more than `maxEntries`, so it stays small whatever the traffic.
 *
 * The relay costs nothing while no member of any channel is connected to this process: the hub
 * polls it only then.
 */
export const CHANNEL_RELAY_MIGRATION: SystemMigration = {
  name: 'realtime_0003_channels',
  sql: `
CREATE TABLE "_koya_realtime_channel_events" (
  "id" INTEGER PRIMARY KEY,
  "origin" TEXT NOT NULL,
  "channel" TEXT NOT NULL,
  "message" TEXT NOT NULL,
  "at" INTEGER NOT NULL
) STRICT;
CREATE TABLE "_koya_realtime_presence" (
  "channel" TEXT NOT NULL,
  "member" TEXT NOT NULL,
  "origin" TEXT NOT NULL,
  "state" TEXT NOT NULL,
  "seenAt" INTEGER NOT NULL,
  PRIMARY KEY ("channel", "member")
) STRICT, WITHOUT ROWID;
CREATE INDEX "_koya_realtime_presence_origin" ON "_koya_realtime_presence" ("origin", "seenAt");
`,
}

export interface RelaySettings {
  /** A member whose process has not refreshed it for this long is gone (its process died), in ms. */
  readonly presenceTtlMs: number
  /** How long relayed messages are kept (a process reads them within a poll), in ms. */
  readonly retainMs: number
  /** Most relayed messages kept at once. */
  readonly maxEntries: number
}

export interface ChannelRelay {
  /** This process's name in member keys and entries. */
  readonly origin: string
  /** A message for the channel's members in the other processes. */
  publish(channel: string, message: string): void
  /** One of this process's members joined (or changed its presence). */
  present(channel: string, member: PresenceMember): void
  /** One of this process's members parted. */
  absent(channel: string, key: string): void
  /** The channel's live members in other processes. */
  others(channel: string): PresenceMember[]
  /** Start from now: what was published while this process had no member is not theirs. */
  skip(): void
  /** What the other processes published since the last call, in order. */
  poll(deliver: (channel: string, message: string) => void): void
  /**
   * Refresh this process's members, expire the others' stale ones, purge old entries. The leaves of
   * the expired members are published for the other processes and handed to `deliver` for this
   * one's members (poll skips what this process published itself).
   */
  maintain(now: number, deliver: (channel: string, message: string) => void): void
  /** This process stops: its members leave, for the others. */
  stop(): void
}

export function createChannelRelay(db: SqliteDatabase, clock: () => Date, settings: RelaySettings): ChannelRelay {
  const origin = randomBytes(6).toString('base64url')
  const insert = db.prepare('INSERT INTO "_koya_realtime_channel_events" ("origin", "channel", "message", "at") VALUES (?, ?, ?, ?)')
  const read = db.prepare('SELECT "id", "origin", "channel", "message" FROM "_koya_realtime_channel_events" WHERE "id" > ? ORDER BY "id" LIMIT 1000')
  const head = db.prepare('SELECT coalesce(max("id"), 0) AS "id" FROM "_koya_realtime_channel_events"')
  const upsert = db.prepare('INSERT INTO "_koya_realtime_presence" ("channel", "member", "origin", "state", "seenAt") VALUES (?, ?, ?, ?, ?) ON CONFLICT ("channel", "member") DO UPDATE SET "state" = excluded."state", "seenAt" = excluded."seenAt"')
  const remove = db.prepare('DELETE FROM "_koya_realtime_presence" WHERE "channel" = ? AND "member" = ?')
  const live = db.prepare('SELECT "state" FROM "_koya_realtime_presence" WHERE "channel" = ? AND "origin" <> ? AND "seenAt" >= ? ORDER BY "member"')
  const refresh = db.prepare('UPDATE "_koya_realtime_presence" SET "seenAt" = ? WHERE "origin" = ?')
  // RETURNING through .all(): a statement that returns rows must be read to its end (PITFALLS).
  const expire = db.prepare('DELETE FROM "_koya_realtime_presence" WHERE "origin" <> ? AND "seenAt" < ? RETURNING "channel", "state"')
  const leaveAll = db.prepare('DELETE FROM "_koya_realtime_presence" WHERE "origin" = ? RETURNING "channel", "state"')
  const purgeOld = db.prepare('DELETE FROM "_koya_realtime_channel_events" WHERE "id" < coalesce((SELECT "id" FROM "_koya_realtime_channel_events" WHERE "at" >= ? ORDER BY "id" LIMIT 1), (SELECT max("id") FROM "_koya_realtime_channel_events"))')
  const purgeMany = db.prepare('DELETE FROM "_koya_realtime_channel_events" WHERE "id" <= (SELECT max("id") FROM "_koya_realtime_channel_events") - ?')
  let cursor = (head.get() as { id: number }).id
  const now = () => clock().getTime()
  const publish = (channel: string, message: string) => {
    insert.run(origin, channel, message, now())
  }
  const leaves = (rows: readonly { channel: string; state: string }[]): [channel: string, message: string][] =>
    rows.map((row) => {
      const message = `{"type":"presence","channel":${JSON.stringify(row.channel)},"joins":[],"leaves":[${row.state}]}`
      publish(row.channel, message)
      return [row.channel, message]
    })
  return {
    origin,
    publish,
    present(channel, member) {
      upsert.run(channel, member.key, origin, JSON.stringify(member), now())
    },
    absent(channel, key) {
      remove.run(channel, key)
    },
    others(channel) {
      return (live.all(channel, origin, now() - settings.presenceTtlMs) as { state: string }[]).map((row) => JSON.parse(row.state) as PresenceMember)
    },
    skip() {
      cursor = (head.get() as { id: number }).id
    },
    poll(deliver) {
      for (;;) {
        const rows = read.all(cursor) as { id: number; origin: string; channel: string; message: string }[]
        if (rows.length === 0) return
        cursor = rows.at(-1)!.id
        for (const row of rows) if (row.origin !== origin) deliver(row.channel, row.message)
      }
    },
    maintain(at, deliver) {
      const expired = db.transaction(() => {
        refresh.run(at, origin)
        const published = leaves(expire.all(origin, at - settings.presenceTtlMs) as { channel: string; state: string }[])
        purgeOld.run(at - settings.retainMs)
        purgeMany.run(settings.maxEntries)
        return published
      })()
      // After commit: a member told of a leave must not find the member still listed.
      for (const [channel, message] of expired) deliver(channel, message)
    },
    stop() {
      db.transaction(() => leaves(leaveAll.all(origin) as { channel: string; state: string }[]))()
    },
  }
}
