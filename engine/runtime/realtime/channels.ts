import { KoyaError } from '../../shared/errors.ts'
import type { Actor } from '../data/data-layer.ts'
import type { ChannelRelay } from './channel-relay.ts'

/** What a channel policy is asked: may this actor join the channel, or broadcast on it? */
export type ChannelAction = 'join' | 'broadcast'

/**
 * Decides who may join and broadcast on a channel. The default admits signed-in users (and the
 * service key) to every channel and refuses anonymous callers (decision 71).
 *
 * @example
 * createServer({ …, realtime: { channels: { authorize: (actor, channel) => channel.startsWith('public:') || actor.kind === 'user' } } })
 */
export type ChannelPolicy = (actor: Actor, channel: string, action: ChannelAction) => boolean

export const DEFAULT_CHANNEL_POLICY: ChannelPolicy = (actor) => actor.kind !== 'anonymous'

/** A channel member as the others see it. */
export interface PresenceMember {
  /** The connection's key in the channel (one user may be connected more than once). */
  readonly key: string
  readonly userId: string | null
  readonly presence: Record<string, unknown>
}

/** A connection as channels know it. */
export interface ChannelMember {
  readonly key: string
  actor(): Actor
  send(message: string): void
}

export interface Channels {
  /** @throws KoyaError KL_API_REALTIME_CHANNEL_DENIED */
  join(member: ChannelMember, channel: string, presence: Record<string, unknown>): void
  part(member: ChannelMember, channel: string): void
  /** @throws KoyaError KL_API_REALTIME_CHANNEL_DENIED (or when the sender has not joined) */
  broadcast(member: ChannelMember, channel: string, event: string, payload: unknown): void
  /** Whether the member may still be in the channel (its actor changed): parts it if not. */
  recheck(member: ChannelMember, channel: string): boolean
  /** Whether a member of any channel is connected here (the relay is polled only then). */
  active(): boolean
  /** A message another process relayed: to every member of the channel here. */
  deliver(channel: string, message: string): void
}

/**
 * Broadcast channels and presence: a message goes to the channel's other members connected to
 * this server, and through the relay (channel-relay.ts) to those of the other processes on the
 * database; presence lists them all (decisions 71, 147).
 */
export function createChannels(policy: ChannelPolicy, relay: ChannelRelay): Channels {
  const channels = new Map<string, Map<string, { member: ChannelMember; state: PresenceMember }>>()
  const userOf = (actor: Actor) => (actor.kind === 'user' ? actor.userId : null)
  const denied = (channel: string, action: ChannelAction) =>
    new KoyaError('KL_API_REALTIME_CHANNEL_DENIED', `The channel policy does not let this caller ${action === 'join' ? 'join' : 'broadcast on'} "${channel}".`)
  const toOthers = (members: Map<string, { member: ChannelMember }>, except: string, message: string) => {
    for (const [key, { member }] of members) if (key !== except) member.send(message)
  }
  const part = (member: ChannelMember, channel: string) => {
    const members = channels.get(channel)
    const entry = members?.get(member.key)
    if (!members || !entry) return
    members.delete(member.key)
    if (members.size === 0) channels.delete(channel)
    const message = JSON.stringify({ type: 'presence', channel, joins: [], leaves: [entry.state] })
    toOthers(members, member.key, message)
    relay.absent(channel, member.key)
    relay.publish(channel, message)
  }
  return {
    join(member, channel, presence) {
      if (!policy(member.actor(), channel, 'join')) throw denied(channel, 'join')
      // The first member here: what was relayed while no one listened is not for it.
      if (channels.size === 0) relay.skip()
      let members = channels.get(channel)
      if (!members) channels.set(channel, (members = new Map()))
      const state: PresenceMember = { key: member.key, userId: userOf(member.actor()), presence }
      const rejoin = members.has(member.key)
      members.set(member.key, { member, state })
      relay.present(channel, state)
      member.send(JSON.stringify({ type: 'joined', channel, presence: [...[...members.values()].map((m) => m.state), ...relay.others(channel)] }))
      const message = JSON.stringify({ type: 'presence', channel, joins: [state], leaves: rejoin ? [state] : [] })
      toOthers(members, member.key, message)
      relay.publish(channel, message)
    },
    part,
    broadcast(member, channel, event, payload) {
      const members = channels.get(channel)
      if (!members?.has(member.key) || !policy(member.actor(), channel, 'broadcast')) throw denied(channel, 'broadcast')
      const message = JSON.stringify({ type: 'broadcast', channel, event, payload: payload ?? null, from: userOf(member.actor()) })
      toOthers(members, member.key, message)
      relay.publish(channel, message)
    },
    active: () => channels.size > 0,
    deliver(channel, message) {
      const members = channels.get(channel)
      if (members) toOthers(members, '', message)
    },
    recheck(member, channel) {
      if (policy(member.actor(), channel, 'join')) return true
      part(member, channel)
      return false
    },
  }
}
