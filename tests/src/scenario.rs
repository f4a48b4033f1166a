//! The scenarios: a server's behaviour and a workload, run with Steadfast
//! and with the seed's policy on the same seed.

use steadfast_core::engine::EngineConfig;
use steadfast_core::rng::Rng;
use steadfast_core::{Method, Millis, SplitMix64};

use crate::client::{CallSpec, Steadfast};
use crate::seed_policy::SeedPolicy;
use crate::server::{RetryAfterForm, SecondWindow, Server, ServerConfig};
use crate::world::{run, RunResult};

/// A server's behaviour and the traffic sent to it.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Short name (a CLI argument, a test name).
    pub name: &'static str,
    /// What it exercises, in a line.
    pub about: &'static str,
    /// The server.
    pub server: ServerConfig,
    /// Calls started per second (Poisson arrivals).
    pub rate_per_s: f64,
    /// How long calls keep arriving.
    pub duration_ms: u64,
    /// Fraction of calls that are POSTs (writes).
    pub post_fraction: f64,
    /// Fraction of POSTs that carry an idempotency key.
    pub keyed_fraction: f64,
    /// The run stops here even if calls are still going (a livelock bound).
    pub horizon_ms: u64,
    /// Fraction of GETs sent to an endpoint the server does not implement
    /// (it answers 501 there).
    pub unimplemented_fraction: f64,
    /// How Steadfast's host behaves (restarts, throttled timers).
    pub host: HostShape,
    /// Whether the run's calls wait only for the limiter's pace, so that
    /// Steadfast must serve them first come, first served (an invariant of
    /// the run). Not where a circuit opens (the half-open probe and the
    /// circuit's moment decide who goes), where 429s slow the pace and it
    /// speeds up again (a caller asking then may be due before those
    /// already waiting, who sleep until the moments they were told), nor
    /// where the host's clock jumps.
    pub first_come_first_served: bool,
}

/// How the process hosting Steadfast behaves (the seed's policy runs as a
/// plain process in every scenario).
#[derive(Clone, Debug, Default)]
pub struct HostShape {
    /// The process is killed and restarted at these instants, with a clock
    /// that starts again at zero (an extension's service worker).
    pub restarts: Vec<Millis>,
    /// The host's timer fires only on multiples of this (a background tab).
    pub timer_period_ms: Option<u64>,
    /// Each host timer fires a seeded random 0 to this many ms late (Node's
    /// and browsers' timers under load).
    pub timer_lateness_ms: Option<u64>,
    /// The client's `limiter.burst` (the user's choice; 1 by default).
    pub burst: Option<u32>,
    /// The client's `limiter.perSecond` (the user's choice; 10 by default).
    pub per_second: Option<f64>,
    /// At each instant, the clock the host gives the engine jumps by this
    /// many ms (back when negative): a clock set back by NTP, a laptop
    /// that slept with a clock that stops meanwhile and is then corrected.
    /// Real time, the server's and the world's, goes on unmoved.
    pub clock_jumps: Vec<(Millis, i64)>,
}

/// The path suffix the simulated server does not implement.
pub const UNIMPLEMENTED_SUFFIX: &str = "/videos";

const HOUR: u64 = 3_600_000;

impl Scenario {
    /// Demand above what the server allows: the server's limit (5/s) is
    /// below the client's configured pace (10/s) and said in its headers.
    #[must_use]
    pub fn rate_limit_pressure() -> Self {
        Self {
            first_come_first_served: true,
            name: "rate_limit_pressure",
            about: "12 calls/s against a 5/s limit the client must learn from headers",
            server: ServerConfig {
                per_second: 5,
                burst: 5,
                advertised_per_second: 5,
                ..ServerConfig::default()
            },
            rate_per_s: 12.0,
            duration_ms: 60_000,
            post_fraction: 0.0,
            keyed_fraction: 0.0,
            horizon_ms: 6 * HOUR,
            unimplemented_fraction: 0.0,
            host: HostShape::default(),
        }
    }

    /// A full outage (every request 503) from 60 s to 180 s of a 5-minute run.
    #[must_use]
    pub fn outage() -> Self {
        Self {
            first_come_first_served: false,
            name: "outage",
            about: "4 calls/s; every request fails with 503 from 60 s to 180 s",
            server: ServerConfig {
                outages: vec![(Millis(60_000), Millis(180_000))],
                ..ServerConfig::default()
            },
            rate_per_s: 4.0,
            duration_ms: 300_000,
            post_fraction: 0.0,
            keyed_fraction: 0.0,
            horizon_ms: 6 * HOUR,
            unimplemented_fraction: 0.0,
            host: HostShape::default(),
        }
    }

    /// Everything at once, lightly: 5xx, resets before and after, slow
    /// responses, a short outage, 429s in both Retry-After forms, writes.
    #[must_use]
    pub fn mixed_faults() -> Self {
        Self {
            first_come_first_served: true,
            name: "mixed_faults",
            about: "3% 5xx, 1% resets before/after, 1% slow, 10 s outage, mixed Retry-After, 20% writes",
            server: ServerConfig {
                outages: vec![(Millis(20_000), Millis(30_000))],
                retry_after: RetryAfterForm::Mixed,
                p_server_error: 0.03,
                p_reset_before: 0.01,
                p_reset_after: 0.01,
                p_slow: 0.01,
                ..ServerConfig::default()
            },
            rate_per_s: 8.0,
            duration_ms: 60_000,
            post_fraction: 0.2,
            keyed_fraction: 0.5,
            horizon_ms: 6 * HOUR,
            unimplemented_fraction: 0.0,
            host: HostShape::default(),
        }
    }

    /// More calls than the server's daily quota, which the server states in
    /// its headers (600/day) while the client is configured for Etsy's 10 000.
    #[must_use]
    pub fn quota_exhaustion() -> Self {
        Self {
            first_come_first_served: true,
            name: "quota_exhaustion",
            about: "1000 calls against a 600/day quota the client learns from headers",
            server: ServerConfig {
                daily_quota: 600,
                ..ServerConfig::default()
            },
            rate_per_s: 5.0,
            duration_ms: 200_000,
            post_fraction: 0.0,
            keyed_fraction: 0.0,
            horizon_ms: 6 * HOUR,
            unimplemented_fraction: 0.0,
            host: HostShape::default(),
        }
    }

    /// A server that lies: year-long and garbage `Retry-After`s, garbage
    /// rate headers, HTML error bodies, under rate pressure and 5xx.
    #[must_use]
    pub fn hostile_server() -> Self {
        Self {
            first_come_first_served: false,
            name: "hostile_server",
            about: "advertises 10/s, enforces 5/s; Retry-After of a year or 'soon'; garbage headers; 5% 5xx",
            server: ServerConfig {
                per_second: 5,
                burst: 5,
                advertised_per_second: 10,
                retry_after: RetryAfterForm::Mixed,
                p_server_error: 0.05,
                hostile: true,
                ..ServerConfig::default()
            },
            rate_per_s: 8.0,
            duration_ms: 60_000,
            post_fraction: 0.1,
            keyed_fraction: 0.5,
            horizon_ms: 6 * HOUR,
            unimplemented_fraction: 0.0,
            host: HostShape::default(),
        }
    }

    /// A server whose headers and bodies are worse than `hostile_server`'s:
    /// `Retry-After` of years, `-5`, `1e3`, non-ASCII digits, dates a day
    /// ago, in 1994 and in 9999; rate headers with non-ASCII bytes, numbers
    /// past `u64`, `1e308`, `-3` and `0`, more left than the limit, a daily
    /// limit that changes and a quota left that jumps up and down, the same
    /// field twice; 4 MB error bodies; a 10 s outage, under rate pressure
    /// and 5xx.
    #[must_use]
    pub fn hostile_headers() -> Self {
        Self {
            first_come_first_served: false,
            name: "hostile_headers",
            about: "Retry-After of years, negative, non-ASCII, dates past and far; rate headers huge, negative, non-ASCII, contradictory; 4 MB error bodies",
            server: ServerConfig {
                per_second: 5,
                burst: 5,
                advertised_per_second: 10,
                outages: vec![(Millis(30_000), Millis(40_000))],
                outage_retry_after_s: Some(5),
                retry_after: RetryAfterForm::Mixed,
                p_server_error: 0.03,
                hostile_headers: true,
                ..ServerConfig::default()
            },
            rate_per_s: 8.0,
            duration_ms: 60_000,
            post_fraction: 0.1,
            keyed_fraction: 0.5,
            horizon_ms: 6 * HOUR,
            unimplemented_fraction: 0.0,
            host: HostShape::default(),
        }
    }

    /// Writes only, half with idempotency keys, on a connection that resets.
    #[must_use]
    pub fn writes_under_resets() -> Self {
        Self {
            // Its resets and 5xx open the circuit now and then.
            first_come_first_served: false,
            name: "writes_under_resets",
            about: "POSTs (half keyed); 10% resets before, 10% after acting, 5% 5xx, 5% slow",
            server: ServerConfig {
                p_server_error: 0.05,
                p_reset_before: 0.10,
                p_reset_after: 0.10,
                p_slow: 0.05,
                ..ServerConfig::default()
            },
            rate_per_s: 3.0,
            duration_ms: 120_000,
            post_fraction: 1.0,
            keyed_fraction: 0.5,
            horizon_ms: 6 * HOUR,
            unimplemented_fraction: 0.0,
            host: HostShape::default(),
        }
    }

    /// The outage, with the client's process killed twice while its circuit
    /// is open and restarted with a clock that starts again at zero (an
    /// extension's service worker): the restored circuit must stay open, so
    /// no more requests reach the dead server than without restarts.
    #[must_use]
    pub fn restart_mid_outage() -> Self {
        Self {
            first_come_first_served: false,
            name: "restart_mid_outage",
            about: "the outage; the client's process killed and restored at 95 s and 150 s, clock from zero",
            host: HostShape {
                restarts: vec![Millis(95_000), Millis(150_000)],
                timer_period_ms: None,
                burst: None,
                clock_jumps: Vec::new(),
                ..HostShape::default()
            },
            ..Self::outage()
        }
    }

    /// Rate pressure in a background tab: the host's timer fires only on
    /// whole seconds (a hidden tab's timers are aligned so), so booked slots
    /// come due several at a time and late; they must be paced again from
    /// when they really go, never released in a burst beyond the one the
    /// client allows (here 5, the server's own, as a user whose code runs in
    /// a background tab would set it: with a burst of 1, one request per
    /// wake-up is all a paced client may send).
    #[must_use]
    pub fn background_tab() -> Self {
        Self {
            first_come_first_served: true,
            name: "background_tab",
            about: "4 calls/s against a 5/s limit; the host's timers fire only on whole seconds",
            server: ServerConfig {
                per_second: 5,
                burst: 5,
                advertised_per_second: 5,
                ..ServerConfig::default()
            },
            rate_per_s: 4.0,
            duration_ms: 180_000,
            post_fraction: 0.0,
            keyed_fraction: 0.0,
            horizon_ms: 6 * HOUR,
            unimplemented_fraction: 0.0,
            host: HostShape {
                restarts: Vec::new(),
                timer_period_ms: Some(1_000),
                burst: Some(5),
                clock_jumps: Vec::new(),
                ..HostShape::default()
            },
        }
    }

    /// A queue that never empties against a server counting 20 requests
    /// per wall-clock second, on a host whose timers fire 0 to 15 ms late
    /// (Node's under load): the client must send at the server's limit
    /// less only the room its timer slack keeps, without a single 429 (one
    /// late send and an on-time next one put 21 into a second if the pace
    /// leaves no room), and in the order the calls came. The client is set
    /// to 50 a second, as users who copy a limit from elsewhere do: it
    /// learns 20 from `x-limit-per-second`.
    #[must_use]
    pub fn late_timers() -> Self {
        Self {
            first_come_first_served: true,
            name: "late_timers",
            about: "30 calls/s against 20/s counted per wall-clock second; the host's timers fire 0-15 ms late",
            server: ServerConfig {
                per_second: 20,
                burst: 20,
                window: SecondWindow::WallSecond,
                advertised_per_second: 20,
                retry_after: RetryAfterForm::Absent,
                latency_ms: (30, 60),
                ..ServerConfig::default()
            },
            rate_per_s: 30.0,
            duration_ms: 60_000,
            post_fraction: 0.0,
            keyed_fraction: 0.0,
            horizon_ms: 6 * HOUR,
            unimplemented_fraction: 0.0,
            host: HostShape {
                timer_lateness_ms: Some(15),
                per_second: Some(50.0),
                ..HostShape::default()
            },
        }
    }

    /// An outage under rate pressure (429s with `Retry-After` in both
    /// forms), with a host clock that jumps: back 30 s while the circuit is
    /// open, forward two hours after the outage with requests in flight,
    /// back 30 s again under load. The engine must not panic, every call
    /// must end, and the circuit must still recover.
    #[must_use]
    pub fn clock_jumps() -> Self {
        Self {
            first_come_first_served: false,
            name: "clock_jumps",
            about: "an outage and 429s; the host's clock jumps back 30 s at 90 s, forward 2 h at 200 s, back 30 s at 250 s",
            server: ServerConfig {
                per_second: 5,
                burst: 5,
                advertised_per_second: 10,
                retry_after: RetryAfterForm::Mixed,
                outages: vec![(Millis(60_000), Millis(180_000))],
                ..ServerConfig::default()
            },
            rate_per_s: 4.0,
            host: HostShape {
                clock_jumps: vec![
                    (Millis(90_000), -30_000),
                    (Millis(200_000), 2 * HOUR as i64),
                    (Millis(250_000), -30_000),
                ],
                ..HostShape::default()
            },
            ..Self::outage()
        }
    }

    /// One endpoint the server does not implement (501, always) beside
    /// healthy ones: its answers are permanent, not a sign the service is
    /// down, so the circuit must never open for them.
    #[must_use]
    pub fn unimplemented_endpoint() -> Self {
        Self {
            first_come_first_served: true,
            name: "unimplemented_endpoint",
            about: "4 calls/s, a quarter of them to an endpoint that answers 501 Not Implemented",
            server: ServerConfig {
                unimplemented_suffix: Some(UNIMPLEMENTED_SUFFIX),
                ..ServerConfig::default()
            },
            rate_per_s: 4.0,
            duration_ms: 120_000,
            post_fraction: 0.0,
            keyed_fraction: 0.0,
            horizon_ms: 6 * HOUR,
            unimplemented_fraction: 0.25,
            host: HostShape::default(),
        }
    }

    /// Every scenario, in the demo's order.
    #[must_use]
    pub fn all() -> Vec<Scenario> {
        vec![
            Self::rate_limit_pressure(),
            Self::outage(),
            Self::mixed_faults(),
            Self::quota_exhaustion(),
            Self::hostile_server(),
            Self::writes_under_resets(),
            Self::restart_mid_outage(),
            Self::background_tab(),
            Self::unimplemented_endpoint(),
            Self::hostile_headers(),
            Self::clock_jumps(),
            Self::late_timers(),
        ]
    }

    /// The scenario called `name`.
    #[must_use]
    pub fn by_name(name: &str) -> Option<Scenario> {
        Self::all().into_iter().find(|s| s.name == name)
    }

    /// The workload for `seed`: Poisson arrivals, GETs on many listings,
    /// POSTs to one shop.
    #[must_use]
    pub fn calls(&self, seed: u64) -> Vec<CallSpec> {
        let mut rng = SplitMix64::new(seed ^ 0xCA11_5EED);
        let expected = (self.rate_per_s * self.duration_ms as f64 / 1000.0 * 1.2) as usize + 16;
        let mut calls = Vec::with_capacity(expected);
        let writes: std::rc::Rc<str> = "/v3/application/shops/42/listings".into();
        let videos: std::rc::Rc<str> =
            format!("/v3/application/listings/1234567{UNIMPLEMENTED_SUFFIX}").into();
        let reads: Vec<std::rc::Rc<str>> = (0..64)
            .map(|_| {
                format!(
                    "/v3/application/listings/{}",
                    1_000_000 + rng.below_inclusive(99_999)
                )
                .into()
            })
            .collect();
        let mut t = 0.0f64;
        let mut op = 0u64;
        loop {
            // Exponential gaps: -ln(U) / rate, with a logarithm that gives
            // the same bits inside WebAssembly as natively.
            let u = rng.unit().max(1e-12);
            t += -crate::portable_math::ln(u) / self.rate_per_s * 1000.0;
            if t >= self.duration_ms as f64 {
                return calls;
            }
            op += 1;
            let post = rng.unit() < self.post_fraction;
            let keyed = post && rng.unit() < self.keyed_fraction;
            let unimplemented = !post
                && self.unimplemented_fraction > 0.0
                && rng.unit() < self.unimplemented_fraction;
            calls.push(CallSpec {
                op,
                arrival: Millis(t as u64),
                method: if post { Method::Post } else { Method::Get },
                endpoint: if post {
                    writes.clone()
                } else if unimplemented {
                    videos.clone()
                } else {
                    reads[rng.below_inclusive(63) as usize].clone()
                },
                idempotency_key: keyed,
            });
        }
    }

    /// Steadfast's configuration for this run: the seed's defaults, as a
    /// user would write them, with the run's seed for jitter.
    #[must_use]
    pub fn engine_config(seed: u64) -> EngineConfig {
        EngineConfig {
            seed,
            ..EngineConfig::default()
        }
    }

    /// Runs Steadfast on this scenario with `seed`.
    #[must_use]
    pub fn run_steadfast(&self, seed: u64) -> RunResult {
        let calls = self.calls(seed);
        let mut server = Server::new(self.server.clone(), seed);
        let mut config = Self::engine_config(seed);
        if let Some(burst) = self.host.burst {
            config.limiter.burst = burst;
        }
        if let Some(rate) = self.host.per_second {
            config.limiter.per_second = rate;
        }
        match Steadfast::new(config, self.server.wall_epoch_ms) {
            Ok(policy) => {
                let mut policy = policy
                    .with_restarts(&self.host.restarts)
                    .with_timer_period(self.host.timer_period_ms)
                    .with_timer_lateness(self.host.timer_lateness_ms, seed)
                    .with_fairness(self.first_come_first_served)
                    .with_clock_jumps(&self.host.clock_jumps);
                run(&mut policy, &mut server, &calls, Millis(self.horizon_ms))
            }
            // The defaults are valid; an error here is a bug the tests see
            // as a run with nothing done.
            Err(_) => run(&mut SeedPolicy::new(seed), &mut server, &[], Millis(0)),
        }
    }

    /// Runs the seed's policy on this scenario with `seed`.
    #[must_use]
    pub fn run_seed(&self, seed: u64) -> RunResult {
        let calls = self.calls(seed);
        let mut server = Server::new(self.server.clone(), seed);
        run(
            &mut SeedPolicy::new(seed),
            &mut server,
            &calls,
            Millis(self.horizon_ms),
        )
    }
}
