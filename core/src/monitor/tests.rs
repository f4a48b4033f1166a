use super::*;
use alloc::format;

fn monitor(config: MonitorConfig) -> ErrorMonitor {
    ErrorMonitor::new(config).unwrap()
}

fn error(endpoint: &str, category: Category) -> Observation<'_> {
    Observation {
        endpoint,
        category: Some(category),
        status: Some(500),
        message: Some("boom"),
    }
}

fn success(endpoint: &str) -> Observation<'_> {
    Observation {
        endpoint,
        category: None,
        status: Some(200),
        message: None,
    }
}

fn alerts(m: &mut ErrorMonitor) -> (usize, usize) {
    let mut fired = (0, 0);
    while let Some(e) = m.poll_event() {
        match e {
            MonitorEvent::Alert(_) => fired.0 += 1,
            MonitorEvent::Recovered(_) => fired.1 += 1,
        }
    }
    fired
}

#[test]
fn seed_defect_13_alerts_once_per_crossing_and_rearms() {
    // The seed deadlocked on its own lock at the threshold and, past it,
    // fired on every error.
    let mut m = monitor(MonitorConfig::default());
    for i in 0..9 {
        m.record(error("/a", Category::Server), Millis(i));
    }
    assert_eq!(alerts(&mut m), (0, 0));
    m.record(error("/a", Category::Server), Millis(10));
    assert_eq!(alerts(&mut m), (1, 0), "fires at the threshold");
    for i in 0..100 {
        m.record(error("/a", Category::Server), Millis(20 + i));
    }
    assert_eq!(alerts(&mut m), (0, 0), "not again while over");
    // The window slides past every error: recovered, re-armed.
    m.handle_timeout(Millis(400_000));
    assert_eq!(alerts(&mut m), (0, 1));
    for i in 0..10 {
        m.record(error("/a", Category::Server), Millis(400_000 + i));
    }
    assert_eq!(alerts(&mut m), (1, 0), "fires again on the next crossing");
}

#[test]
fn the_alert_carries_a_summary() {
    let mut m = monitor(MonitorConfig {
        alert_threshold: 2,
        ..MonitorConfig::default()
    });
    m.record(error("/listings/1", Category::Server), Millis(0));
    m.record(success("/listings/2"), Millis(0));
    m.record(error("/shops/9", Category::Timeout), Millis(1));
    match m.poll_event() {
        Some(MonitorEvent::Alert(s)) => {
            assert_eq!((s.total_calls, s.total_errors), (3, 2));
            assert!(s.alerting);
            assert_eq!(
                s.by_category,
                [(Category::Server, 1), (Category::Timeout, 1)]
            );
            assert_eq!(s.by_endpoint[0].endpoint, "/listings/{id}");
            assert_eq!((s.by_endpoint[0].calls, s.by_endpoint[0].errors), (2, 1));
            assert_eq!(s.most_recent.unwrap().endpoint, "/shops/{id}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn alert_by_rate_needs_volume() {
    let mut m = monitor(MonitorConfig {
        alert_threshold: 1000,
        alert_rate: Some(0.5),
        min_calls: 10,
        ..MonitorConfig::default()
    });
    for i in 0..5 {
        m.record(error("/a", Category::Network), Millis(i));
    }
    assert_eq!(alerts(&mut m), (0, 0), "5 calls: below the volume");
    for i in 0..5 {
        m.record(success("/a"), Millis(10 + i));
    }
    assert_eq!(alerts(&mut m), (1, 0), "5/10 errors");
}

#[test]
fn seed_defect_14_memory_is_fixed_whatever_is_recorded() {
    // The seed kept every error of the window in a deque. Here 200 000
    // errors over ten thousand distinct ids in a hundred distinct endpoints
    // leave the counter count where it was after the first thousand.
    let cfg = MonitorConfig {
        max_endpoints: 8,
        ..MonitorConfig::default()
    };
    let mut m = monitor(cfg);
    let mut after_first_thousand = 0;
    for i in 0..200_000u64 {
        let path = format!("/r{}/{}", i % 100, i % 10_000);
        m.record(error(&path, Category::Server), Millis(i / 2));
        if i == 999 {
            after_first_thousand = m.retained_counters();
        }
    }
    assert_eq!(m.retained_counters(), after_first_thousand);
    assert!(m.retained_counters() <= m.counter_capacity());
    let s = m.summary(Millis(100_000));
    assert!(s.by_endpoint.len() <= 9);
    assert!(s.by_endpoint.iter().any(|e| e.endpoint == OTHER_ENDPOINT));
}

#[test]
fn idle_endpoint_slots_are_reused() {
    let mut m = monitor(MonitorConfig {
        max_endpoints: 1,
        ..MonitorConfig::default()
    });
    m.record(success("/a"), Millis(0));
    m.record(success("/b"), Millis(1));
    let names = |m: &ErrorMonitor, t| {
        m.summary(Millis(t))
            .by_endpoint
            .into_iter()
            .map(|e| e.endpoint)
            .collect::<alloc::vec::Vec<_>>()
    };
    assert_eq!(names(&m, 1), ["/a", OTHER_ENDPOINT]);
    m.record(success("/c"), Millis(600_000));
    assert_eq!(names(&m, 600_000), ["/c"]);
}

#[test]
fn summary_is_pure_and_forgets_old_errors() {
    let mut m = monitor(MonitorConfig::default());
    m.record(error("/a", Category::Auth), Millis(0));
    let before = m.clone();
    let _ = m.summary(Millis(10));
    assert_eq!(m, before);
    let later = m.summary(Millis(301_000));
    assert_eq!((later.total_errors, later.most_recent), (0, None));
}

#[test]
fn rejects_bad_settings_by_name() {
    let e = ErrorMonitor::new(MonitorConfig {
        alert_threshold: 0,
        ..MonitorConfig::default()
    })
    .unwrap_err();
    assert!(format!("{e}").contains("monitor.alertThreshold"));
    let e = ErrorMonitor::new(MonitorConfig {
        alert_rate: Some(f64::NAN),
        ..MonitorConfig::default()
    })
    .unwrap_err();
    assert!(format!("{e}").contains("monitor.alertRate"));
    let e = ErrorMonitor::new(MonitorConfig {
        buckets: 0,
        ..MonitorConfig::default()
    })
    .unwrap_err();
    assert!(format!("{e}").contains("monitor.buckets"));
}

#[test]
fn endpoints_are_listed_by_errors_then_by_name() {
    let mut m = monitor(MonitorConfig::default());
    // errors per endpoint: /e 3, /b 1, /d 3, /a 0, /c 1 — recorded in a
    // scrambled order.
    for (path, errors) in [("/e", 3), ("/b", 1), ("/d", 3), ("/a", 0), ("/c", 1)] {
        m.record(success(path), Millis(1));
        for _ in 0..errors {
            m.record(error(path, Category::Server), Millis(2));
        }
    }
    let s = m.summary(Millis(3));
    let order: Vec<(&str, u64)> = s
        .by_endpoint
        .iter()
        .map(|e| (e.endpoint.as_str(), e.errors))
        .collect();
    assert_eq!(
        order,
        [("/d", 3), ("/e", 3), ("/b", 1), ("/c", 1), ("/a", 0)]
    );
}
