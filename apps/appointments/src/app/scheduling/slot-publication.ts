import { createHash } from 'node:crypto';

import { AppointmentsError, AppointmentsErrorCode } from '../domain/appointments.errors';
import { isExclusionViolation, isSerializationFailure, isUniqueViolation } from '@trellis/database';
import type { Actor, Clock } from '../domain/ports';
import { Violations } from '../domain/validation';
import type { ScheduleRow, SlotRow } from '../prisma';
import type { NewSlot, SchedulingRepository } from './scheduling.repository';

export const MAX_SLOTS_PER_PUBLISH = 5000;
const MAX_SLOT_MINUTES = 24 * 60;

export interface SlotInput {
  start?: Date;
  end?: Date;
  status?: 'free' | 'busy' | 'busy_unavailable';
  /** Optional; unique per owning organisation (replay returns the slot published first). */
  idempotencyKey?: string;
}

/** A published slot, and whether its idempotency key answered an earlier publication. */
export interface PublishedSlot {
  slot: SlotRow;
  replayed: boolean;
}

/** What a keyed slot publication asked for (replay vs. reuse of an idempotency key). */
export function slotRequestHash(scheduleId: string, s: NewSlot): string {
  return createHash('sha256')
    .update(JSON.stringify([scheduleId, s.start.toISOString(), s.end.toISOString(), s.status]))
    .digest('hex');
}

/** Publication of a schedule's slots: all or nothing, idempotent per slot key, never overlapping. */
export class SlotPublication {
  constructor(
    private readonly repo: SchedulingRepository,
    private readonly clock: Clock,
    private readonly schedules: { getSchedule(id: string): Promise<ScheduleRow> },
  ) {}

  /**
   * Publishes slots, all or nothing. A slot with an idempotency key already used by the owner is
   * answered with the slot published first (replayed) when it asks for the same thing (schedule,
   * start, end, status) — or whatever it asks for with `ifNoneExist` (conditional create) — and
   * refused with IDEMPOTENCY_KEY_REUSED otherwise. The unique (ods_code, idempotency_key) index
   * makes concurrent identical publications create one slot.
   */
  async publishOrReplaySlots(
    actor: Actor,
    scheduleId: string,
    slots: readonly SlotInput[],
    opts: { ifNoneExist?: boolean } = {},
  ): Promise<PublishedSlot[]> {
    const v = new Violations();
    v.uuid('schedule_id', scheduleId);
    if (slots.length === 0) v.add('slots', 'required', 'at least one slot is required');
    if (slots.length > MAX_SLOTS_PER_PUBLISH)
      v.add('slots', 'max-items', `at most ${MAX_SLOTS_PER_PUBLISH} slots per call`);
    const now = this.clock.now();
    const valid: NewSlot[] = [];
    const keys = new Map<string, number>();
    slots.forEach((s, i) => {
      const f = `slots[${i}]`;
      if (s.idempotencyKey) {
        v.idempotencyKey(`${f}.idempotency_key`, s.idempotencyKey);
        const first = keys.get(s.idempotencyKey);
        if (first !== undefined)
          v.add(
            `${f}.idempotency_key`,
            'duplicate',
            `the same idempotency_key as slots[${first}] in the same request`,
          );
        else keys.set(s.idempotencyKey, i);
      }
      if (!s.start) v.add(`${f}.start`, 'required', 'start is required');
      if (!s.end) v.add(`${f}.end`, 'required', 'end is required');
      if (s.status === 'busy')
        v.add(
          `${f}.status`,
          'slot-status',
          'busy is set by bookings; publish free or busy-unavailable',
        );
      if (!s.start || !s.end) return;
      if (s.end.getTime() <= s.start.getTime())
        v.add(`${f}.end`, 'end-after-start', 'end must be after start');
      else if (s.end.getTime() - s.start.getTime() > MAX_SLOT_MINUTES * 60_000)
        v.add(`${f}.end`, 'max-duration', 'a slot lasts at most 24 hours');
      if (s.start.getTime() < now.getTime())
        v.add(`${f}.start`, 'future', 'slots must start in the future');
      const slot: NewSlot = {
        start: s.start,
        end: s.end,
        status: s.status === 'busy_unavailable' ? 'busy_unavailable' : 'free',
      };
      if (s.idempotencyKey) {
        slot.idempotencyKey = s.idempotencyKey;
        slot.requestHash = slotRequestHash(scheduleId, slot);
      }
      valid.push(slot);
    });
    if (v.count === 0) {
      // Overlaps inside the batch get a precise field path; the database constraint covers the rest.
      const order = valid
        .map((s, i) => ({ s, i }))
        .sort((a, b) => a.s.start.getTime() - b.s.start.getTime());
      for (let k = 1; k < order.length; k++) {
        const prev = order[k - 1]!;
        const cur = order[k]!;
        if (cur.s.start.getTime() < prev.s.end.getTime()) {
          v.add(`slots[${cur.i}]`, 'slot-overlap', `overlaps slots[${prev.i}] in the same request`);
        }
      }
    }
    v.throwIfAny();
    const schedule = await this.schedules.getSchedule(scheduleId);
    if (schedule.odsCode !== actor.odsCode) {
      throw new AppointmentsError(
        AppointmentsErrorCode.NotScheduleOwner,
        `Only the owning organisation ${schedule.odsCode} can publish slots to schedule ${schedule.id}`,
        { scheduleId: schedule.id, ownerOdsCode: schedule.odsCode, callerOdsCode: actor.odsCode },
      );
    }
    for (let attempt = 0; ; attempt++) {
      try {
        return keys.size > 0
          ? await this.repo.inTransaction(async (repo) => {
              // Keyed publications of one organisation take turns: two identical ones racing on
              // the unique key and the exclusion constraint at once could deadlock (40P01 seen in
              // CI with 10 concurrent publishers); in turn, the second one finds the first's rows.
              await repo.lockKeyedPublication(schedule.odsCode);
              return this.publishOnce(repo, schedule, valid, opts.ifNoneExist ?? false);
            })
          : await this.publishOnce(this.repo, schedule, valid, false);
      } catch (err) {
        // The same key used concurrently on another of the owner's schedules (unique index), or a
        // serialization failure: once more, now answering it as a replay or a precise refusal.
        if (keys.size > 0 && isUniqueViolation(err) && attempt < 2) continue;
        if (isSerializationFailure(err) && attempt < 3) continue;
        throw err;
      }
    }
  }

  /** One attempt: replay what the keys already published, insert the rest in one statement. */
  private async publishOnce(
    repo: SchedulingRepository,
    schedule: ScheduleRow,
    valid: readonly NewSlot[],
    ifNoneExist: boolean,
  ): Promise<PublishedSlot[]> {
    const earlier = await this.replaySlots(repo, schedule.odsCode, valid, ifNoneExist);
    const fresh = valid.map((s, i) => ({ s, i })).filter(({ i }) => !earlier.has(i));
    const created = new Map<number, SlotRow>();
    if (fresh.length > 0) {
      try {
        const rows = await repo.insertSlots(
          schedule,
          fresh.map((f) => f.s),
        );
        // slots of one schedule never share a start: match the returned rows by it
        const byStart = new Map(rows.map((r) => [r.startAt.getTime(), r]));
        for (const f of fresh) created.set(f.i, byStart.get(f.s.start.getTime())!);
      } catch (err) {
        if (!isExclusionViolation(err)) throw err;
        throw await this.overlapError(
          schedule.id,
          fresh.map((f) => f.s),
          fresh.map((f) => f.i),
        );
      }
    }
    return valid.map((_, i) =>
      earlier.has(i)
        ? { slot: earlier.get(i)!, replayed: true }
        : { slot: created.get(i)!, replayed: false },
    );
  }

  /** Keyed slots already published by the owner (by index); a reused key is refused. */
  private async replaySlots(
    repo: SchedulingRepository,
    odsCode: string,
    slots: readonly NewSlot[],
    ifNoneExist: boolean,
  ): Promise<Map<number, SlotRow>> {
    const found = new Map<number, SlotRow>();
    const keyed = slots.flatMap((s, i) => (s.idempotencyKey ? [{ s, i }] : []));
    if (keyed.length === 0) return found;
    const rows = await repo.findSlotsByKeys(
      odsCode,
      keyed.map((k) => k.s.idempotencyKey!),
    );
    const byKey = new Map(rows.map((r) => [r.idempotencyKey, r]));
    for (const { s, i } of keyed) {
      const existing = byKey.get(s.idempotencyKey!);
      if (!existing) continue;
      if (!ifNoneExist && existing.requestHash !== s.requestHash) {
        throw new AppointmentsError(
          AppointmentsErrorCode.IdempotencyKeyReused,
          `Idempotency key '${s.idempotencyKey}' was already used by ${odsCode} for a different slot (${existing.id})`,
          { idempotencyKey: s.idempotencyKey!, slotId: existing.id, index: String(i) },
        );
      }
      found.set(i, existing);
    }
    return found;
  }

  /** SLOT_OVERLAP naming the stored slot a candidate overlaps (indexes are the request's). */
  private async overlapError(
    scheduleId: string,
    candidates: readonly NewSlot[],
    indexes: readonly number[],
  ): Promise<AppointmentsError> {
    const clash = await this.repo.findOverlap(scheduleId, candidates);
    const index = clash ? (indexes[clash.index] ?? clash.index) : undefined;
    const detail = clash
      ? `slots[${index}] overlaps existing slot ${clash.id} (${clash.start.toISOString()}–${clash.end.toISOString()})`
      : 'a slot overlaps one published concurrently';
    return new AppointmentsError(
      AppointmentsErrorCode.SlotOverlap,
      `Slots of schedule ${scheduleId} must not overlap: ${detail}`,
      clash ? { scheduleId, conflictingSlotId: clash.id, index: String(index) } : { scheduleId },
    );
  }
}
