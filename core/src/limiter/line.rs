//! The line: every caller a numbered ticket, served in the order asked.
//!
//! A ticket does not hold an instant. Its moment follows from its number
//! and the pace in force: ticket `k` is due at
//! `TAT(k) − tolerance`, where `TAT(k) = tat_us − (next − k) × interval`
//! and `tat_us` is the theoretical arrival time of the next ticket to be
//! handed out (GCRA's one number, kept for the line as a whole). Whatever
//! changes — the pace slows after the server said its limit, the host's
//! timer fired late, a server's pause ended — changes `tat_us` or the
//! interval for every ticket at once, so that a ticket handed out earlier
//! is never due after one handed out later: **first come, first served**,
//! by construction rather than by bookkeeping.
//!
//! Lateness is not lost time. A ticket whose moment passed goes at once,
//! and the next keeps the line's cadence, not `now + interval`; only when a
//! ticket is later than the slack the limiter allows (a background tab's
//! timer, a laptop waking) is the whole line moved on, so that what came
//! due meanwhile is paced again from then rather than sent together.

use super::gcra::{stretch_ahead, us, MICROS_PER_MS};
use crate::time::Millis;

/// The line's state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct Line {
    /// The number of the next ticket to hand out.
    next: u64,
    /// The theoretical arrival time of ticket `next`, in microseconds.
    tat_us: u64,
}

/// The whole millisecond at or after `t_us`, never before `now`.
#[inline]
fn ms_at(t_us: u64, now: Millis) -> Millis {
    Millis(t_us.div_ceil(MICROS_PER_MS)).max(now)
}

impl Line {
    /// The theoretical arrival time of `ticket`.
    #[inline]
    fn tat_of(&self, ticket: u64, interval_us: u64) -> u64 {
        let behind = self.next.saturating_sub(ticket);
        self.tat_us
            .saturating_sub(behind.saturating_mul(interval_us))
    }

    /// When a ticket handed out at `now` would be due (nothing is booked).
    #[inline]
    pub(crate) fn next_due(&self, now: Millis, tolerance_us: u64) -> Millis {
        ms_at(self.tat_us.max(us(now)).saturating_sub(tolerance_us), now)
    }

    /// Hands out the next ticket at `now`. A line with nobody waiting starts
    /// again from `now` (unused time is not saved up beyond the tolerance).
    #[inline]
    pub(crate) fn book(&mut self, now: Millis, interval_us: u64) -> u64 {
        let ticket = self.next;
        self.tat_us = self.tat_us.max(us(now)).saturating_add(interval_us);
        self.next = self.next.saturating_add(1);
        ticket
    }

    /// Takes `ticket` back. Only the last one handed out can be: a later
    /// one stands on every earlier ticket, which is then left unused.
    pub(crate) fn unbook(&mut self, ticket: u64, interval_us: u64) {
        if ticket.saturating_add(1) == self.next {
            self.next = ticket;
            self.tat_us = self.tat_us.saturating_sub(interval_us);
        }
    }

    /// When `ticket` may go, asked at `now`: its moment in the line, after
    /// moving the whole line on if this ticket is more than `slack_us`
    /// behind its theoretical arrival (lateness within the slack is caught
    /// up; beyond it, what came due is paced again from `now`).
    #[inline]
    pub(crate) fn due(
        &mut self,
        ticket: u64,
        now: Millis,
        interval_us: u64,
        tolerance_us: u64,
        slack_us: u64,
    ) -> Millis {
        let tat = self.tat_of(ticket, interval_us);
        let floor = us(now).saturating_sub(slack_us);
        if tat < floor {
            self.tat_us = self.tat_us.saturating_add(floor - tat);
        }
        ms_at(
            self.tat_of(ticket, interval_us)
                .saturating_sub(tolerance_us),
            now,
        )
    }

    /// Moves the line on so that `ticket` is due no sooner than `at`, and
    /// every ticket after it as much later (the send gate refused it).
    pub(crate) fn delay(&mut self, ticket: u64, at: Millis, interval_us: u64, tolerance_us: u64) {
        let due_us = self
            .tat_of(ticket, interval_us)
            .saturating_sub(tolerance_us);
        self.tat_us = self.tat_us.saturating_add(us(at).saturating_sub(due_us));
    }

    /// The pace changed from `old_us` to `new_us` at `now`: every ticket's
    /// distance from `now` is rescaled, so that the line keeps its order and
    /// the tickets ahead stand for the same number of sends (see
    /// [`stretch_ahead`]).
    pub(crate) fn stretch(&mut self, now: Millis, old_us: u64, new_us: u64) {
        self.tat_us = stretch_ahead(self.tat_us, now, old_us, new_us);
    }

    /// A line whose next ticket is due at `tat_us` (a restored pace: no
    /// ticket of the old process is out).
    pub(crate) const fn starting_at(tat_us: u64) -> Self {
        Self { next: 0, tat_us }
    }

    /// The theoretical arrival time of the next ticket, in microseconds.
    pub(crate) const fn tat_us(&self) -> u64 {
        self.tat_us
    }

    /// Caps what is booked ahead at `limit`: tickets of a process that is
    /// gone are forgotten.
    pub(crate) fn cap(&mut self, limit: Millis) {
        self.tat_us = self.tat_us.min(us(limit));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    const T: u64 = 100_000; // 10/s

    #[test]
    fn tickets_are_due_one_interval_apart_in_the_order_handed_out() {
        let mut line = Line::default();
        let tickets: Vec<u64> = (0..4).map(|_| line.book(Millis(0), T)).collect();
        let due: Vec<u64> = tickets
            .iter()
            .map(|&k| line.due(k, Millis(0), T, 0, 0).as_u64())
            .collect();
        assert_eq!(due, [0, 100, 200, 300]);
    }

    #[test]
    fn a_tolerance_lets_a_burst_go_at_once() {
        let mut line = Line::default();
        let due: Vec<u64> = (0..4)
            .map(|_| {
                let k = line.book(Millis(0), T);
                line.due(k, Millis(0), T, 2 * T, 0).as_u64()
            })
            .collect();
        assert_eq!(due, [0, 0, 0, 100]);
    }

    #[test]
    fn lateness_within_the_slack_keeps_the_cadence() {
        let mut line = Line::default();
        let a = line.book(Millis(0), T);
        let b = line.book(Millis(0), T);
        let c = line.book(Millis(0), T);
        assert_eq!(line.due(a, Millis(0), T, 0, 20_000), Millis(0));
        // b's timer fires 15 ms late: it goes now, and c keeps its moment.
        assert_eq!(line.due(b, Millis(115), T, 0, 20_000), Millis(115));
        assert_eq!(line.due(c, Millis(115), T, 0, 20_000), Millis(200));
    }

    #[test]
    fn lateness_beyond_the_slack_moves_the_whole_line_on() {
        let mut line = Line::default();
        let tickets: Vec<u64> = (0..4).map(|_| line.book(Millis(0), T)).collect();
        // The host slept until 10 s: ticket 1 goes, the rest are paced again
        // from then (less the slack), in order.
        assert_eq!(
            line.due(tickets[1], Millis(10_000), T, 0, 20_000),
            Millis(10_000)
        );
        let rest: Vec<u64> = tickets[2..]
            .iter()
            .map(|&k| line.due(k, Millis(10_000), T, 0, 20_000).as_u64())
            .collect();
        assert_eq!(rest, [10_080, 10_180]);
        // Ticket 0, still waiting, is earlier than all of them: due.
        assert_eq!(
            line.due(tickets[0], Millis(10_000), T, 0, 20_000),
            Millis(10_000)
        );
    }

    #[test]
    fn a_slower_pace_keeps_the_order_and_spaces_the_tickets_again() {
        let mut line = Line::default();
        let tickets: Vec<u64> = (0..5).map(|_| line.book(Millis(0), T)).collect();
        line.stretch(Millis(0), T, 2 * T);
        let due: Vec<u64> = tickets
            .iter()
            .map(|&k| line.due(k, Millis(0), 2 * T, 0, 0).as_u64())
            .collect();
        assert_eq!(due, [0, 200, 400, 600, 800]);
    }

    #[test]
    fn only_the_last_ticket_is_taken_back() {
        let mut line = Line::default();
        let a = line.book(Millis(0), T);
        let b = line.book(Millis(0), T);
        line.unbook(a, T); // b stands on it
        assert_eq!(line.next_due(Millis(0), 0), Millis(200));
        line.unbook(b, T);
        assert_eq!(line.next_due(Millis(0), 0), Millis(100));
    }

    #[test]
    fn a_refused_ticket_moves_itself_and_those_after_it() {
        let mut line = Line::default();
        let a = line.book(Millis(0), T);
        let b = line.book(Millis(0), T);
        line.delay(a, Millis(30), T, 0);
        assert_eq!(line.due(a, Millis(0), T, 0, 0), Millis(30));
        assert_eq!(line.due(b, Millis(0), T, 0, 0), Millis(130));
        // A delay to a moment already reached changes nothing.
        line.delay(b, Millis(50), T, 0);
        assert_eq!(line.due(b, Millis(0), T, 0, 0), Millis(130));
    }

    #[test]
    fn capping_forgets_tickets_of_a_process_that_is_gone() {
        let mut line = Line::default();
        for _ in 0..100 {
            let _ = line.book(Millis(0), T);
        }
        line.cap(Millis(300));
        assert_eq!(line.next_due(Millis(0), 0), Millis(300));
    }
}
