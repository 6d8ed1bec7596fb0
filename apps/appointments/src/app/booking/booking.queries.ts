import { AppointmentsError, AppointmentsErrorCode } from '../domain/appointments.errors';
import { pageToken } from '../domain/page-token';
import type { Actor } from '../domain/ports';
import { pageSize, Violations } from '../domain/validation';
import { isParty } from '../domain/visibility';
import type { AppointmentRow } from '../prisma';
import type { AppointmentVersionRow } from './booking.repository';
import {
  appointmentNotFound,
  type BookingSupport,
  type CallContext,
  type Period,
} from './booking.support';

/** Reading appointments: one (and its versions), a patient's, an organisation's day list. */
export class BookingQueries {
  constructor(private readonly s: BookingSupport) {}

  async get(actor: Actor, id: string, ctx: CallContext = {}): Promise<AppointmentRow> {
    const v = new Violations();
    v.uuid('appointment_id', id);
    v.throwIfAny();
    const a = await this.s.repo.findAppointment(id);
    if (!a) throw appointmentNotFound(id);
    if (isParty(a, actor.odsCode)) return a;
    if (await this.s.isRegisteredGp(actor, a.nhsNumber, ctx)) return a;
    throw appointmentNotFound(id);
  }

  /** One version of an appointment; visible to whoever may read the appointment now (get). */
  async getVersion(
    actor: Actor,
    id: string,
    version: number,
    ctx: CallContext = {},
  ): Promise<AppointmentVersionRow> {
    const v = new Violations();
    v.uuid('appointment_id', id);
    if (!Number.isInteger(version) || version < 1)
      v.add('version', 'min', 'version must be a positive integer');
    v.throwIfAny();
    await this.get(actor, id, ctx);
    const found = await this.s.repo.findVersion(id, version);
    if (!found) {
      throw new AppointmentsError(
        AppointmentsErrorCode.AppointmentVersionNotFound,
        `Appointment ${id} has no version ${version}`,
        { appointmentId: id, version: String(version) },
      );
    }
    return found;
  }

  /** Every recorded version, newest first, paged; visible as `get`. */
  async listVersions(
    actor: Actor,
    id: string,
    page: { pageSize?: number; pageToken?: string },
    ctx: CallContext = {},
  ): Promise<{ versions: AppointmentVersionRow[]; nextPageToken: string; total: number }> {
    const v = new Violations();
    v.uuid('appointment_id', id);
    const take = pageSize(page.pageSize, v, 'page.page_size', 500, 50);
    v.throwIfAny();
    await this.get(actor, id, ctx);
    const filter = { q: 'versions', id };
    const cursor = pageToken.decode(page.pageToken, filter, 'page.page_token');
    const [rows, total] = await Promise.all([
      this.s.repo.listVersions(id, cursor ? Number(cursor.i) : undefined, take + 1),
      this.s.repo.countVersions(id),
    ]);
    const versions = pageToken.pageBy(
      rows,
      take,
      (last) => [last.recordedAt, last.version],
      filter,
    );
    return { versions: versions.rows, nextPageToken: versions.nextPageToken, total };
  }

  async listForPatient(
    actor: Actor,
    input: { nhsNumber: string; period: Period; pageSize?: number; pageToken?: string },
    ctx: CallContext = {},
  ): Promise<{ appointments: AppointmentRow[]; nextPageToken: string }> {
    const v = new Violations();
    const nhsNumber = v.nhsNumber('nhs_number', input.nhsNumber);
    const take = pageSize(input.pageSize, v, 'page.page_size', 500, 50);
    v.throwIfAny();
    const filter = { q: 'patient', nhsNumber, period: input.period, org: actor.odsCode };
    const cursor = pageToken.decode(input.pageToken, filter, 'page.page_token');
    const query = {
      nhsNumber: nhsNumber!,
      period: input.period,
      now: this.s.clock.now(),
      after: cursor ? { start: new Date(cursor.s), id: cursor.i } : undefined,
      take: take + 1,
    };
    // The page as the patient's registered GP practice would see it (every appointment). Identity
    // is asked only when that page holds an appointment the caller is not a party to; otherwise
    // the provider / booker view of this page is the same rows.
    const all = await this.s.repo.listForPatient(query);
    // the patient themself (a citizen's patient token) sees every appointment of their own
    if (actor.patient && actor.patient === nhsNumber) return paged(all, take, filter);
    if (all.every((a) => isParty(a, actor.odsCode))) return paged(all, take, filter);
    if (await this.s.isRegisteredGp(actor, nhsNumber!, ctx)) return paged(all, take, filter);
    const own = await this.s.repo.listForPatient({
      ...query,
      odsCode: actor.odsCode,
    });
    return paged(own, take, filter);
  }

  async dayList(
    actor: Actor,
    input: {
      odsCode?: string;
      date: string;
      includeCancelled: boolean;
      pageSize?: number;
      pageToken?: string;
    },
  ): Promise<{ appointments: AppointmentRow[]; nextPageToken: string }> {
    const v = new Violations();
    const odsCode = input.odsCode || actor.odsCode;
    v.odsCode('ods_code', odsCode);
    let from = new Date(NaN);
    if (v.required('date', input.date) && /^\d{4}-\d{2}-\d{2}$/.test(input.date))
      from = new Date(`${input.date}T00:00:00.000Z`);
    if (
      input.date &&
      (Number.isNaN(from.getTime()) || from.toISOString().slice(0, 10) !== input.date)
    ) {
      v.add('date', 'date', 'date must be a calendar date YYYY-MM-DD');
    }
    const take = pageSize(input.pageSize, v, 'page.page_size', 500, 50);
    v.throwIfAny();
    if (odsCode !== actor.odsCode) {
      throw new AppointmentsError(
        AppointmentsErrorCode.NotInvolved,
        `An organisation can only read its own day list (caller ${actor.odsCode}, requested ${odsCode})`,
        {
          callerOdsCode: actor.odsCode,
          odsCode,
        },
      );
    }
    const filter = { q: 'day', odsCode, date: input.date, c: input.includeCancelled };
    const cursor = pageToken.decode(input.pageToken, filter, 'page.page_token');
    const rows = await this.s.repo.dayList({
      odsCode,
      from,
      to: new Date(from.getTime() + 86_400_000),
      includeCancelled: input.includeCancelled,
      after: cursor ? { start: new Date(cursor.s), id: cursor.i } : undefined,
      take: take + 1,
    });
    return paged(rows, take, filter);
  }
}

function paged(
  rows: AppointmentRow[],
  take: number,
  filter: unknown,
): { appointments: AppointmentRow[]; nextPageToken: string } {
  const page = pageToken.pageBy(rows, take, (last) => [last.startAt, last.id], filter);
  return { appointments: page.rows, nextPageToken: page.nextPageToken };
}
