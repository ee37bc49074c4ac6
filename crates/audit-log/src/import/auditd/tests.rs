//! Tests of parsing and mapping together, on the sample logs in `testdata/auditd` and on
//! hostile input.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;

use audit_logging::limits::{MAX_DETAILS, MAX_EVENT_BYTES, MAX_LIST_ITEMS};
use audit_logging::{check_text, AuditEvent, AuditResult};
use chrono::{TimeZone, Utc};
use serde_json::Value;

use super::*;

fn testdata_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/auditd")
}

fn read_testdata(name: &str) -> String {
    let path = testdata_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

/// Checks every string of `event` with `check_text`, and the item and size bounds, the way the
/// library's validation does: strings under `reason` and `details` are free text, and a
/// string counts twice its length plus three towards the encoded size.
fn assert_valid(event: &AuditEvent) {
    let value = serde_json::to_value(event).expect("event serializes");
    let mut encoded_bytes = 0;
    check_value(&value, "event", false, &mut encoded_bytes);
    assert!(encoded_bytes <= MAX_EVENT_BYTES, "event is {encoded_bytes} bytes encoded: {event:?}");
}

fn check_value(value: &Value, path: &str, free_text: bool, encoded_bytes: &mut usize) {
    match value {
        Value::String(text) => {
            if let Err(error) = check_text(path, text, free_text) {
                panic!("{error}");
            }
            *encoded_bytes += 2 * text.len() + 3;
        }
        Value::Array(items) => {
            assert!(items.len() <= MAX_LIST_ITEMS, "{path} has {} items", items.len());
            *encoded_bytes += 2;
            for (index, item) in items.iter().enumerate() {
                check_value(item, &format!("{path}[{index}]"), free_text, encoded_bytes);
            }
        }
        Value::Object(map) => {
            assert!(map.len() <= MAX_LIST_ITEMS, "{path} has {} entries", map.len());
            *encoded_bytes += 2;
            for (key, item) in map {
                if let Err(error) = check_text(&format!("key of {path}"), key, false) {
                    panic!("{error}");
                }
                *encoded_bytes += 2 * key.len() + 3;
                let free = free_text || key == "reason" || key == "details";
                check_value(item, &format!("{path}.{key}"), free, encoded_bytes);
            }
        }
        _ => *encoded_bytes += 24,
    }
}

fn parse_one(text: &str) -> AuditdEvent {
    let parsed = parse(text);
    assert_eq!(parsed.issues, Vec::new());
    assert_eq!(parsed.events.len(), 1, "{:?}", parsed.events);
    parsed.events.into_iter().next().expect("one event")
}

fn details_of(event: &AuditEvent) -> &BTreeMap<String, String> {
    match event {
        AuditEvent::External { details, .. } => details,
        other => panic!("expected External, got {other:?}"),
    }
}

fn lines_of(event: &AuditdEvent) -> Vec<usize> {
    event.records.iter().map(|record| record.line).collect()
}

#[test]
fn corpus_accounts_for_every_line() {
    // (file, non-blank lines, records, events, issue lines)
    let expected: &[(&str, usize, usize, usize, &[usize])] = &[
        ("beats-audit-rhel6.log", 12, 12, 11, &[]),
        ("beats-execve-hex-arg.log", 1, 1, 1, &[]),
        ("beats-test.log", 7, 7, 7, &[]),
        ("beats-useradd.log", 8, 8, 8, &[]),
        ("golibaudit-audit-rhel6.log", 2, 2, 2, &[]),
        ("golibaudit-audit-rhel7.log", 50, 49, 46, &[31]),
        ("golibaudit-audit-ubuntu14.log", 1, 1, 1, &[]),
        ("golibaudit-audit-ubuntu16.log", 3, 3, 3, &[]),
        ("golibaudit-audit-ubuntu17.log", 1, 1, 1, &[]),
        ("golibaudit-test3.log", 17, 17, 10, &[]),
    ];

    let mut names: Vec<String> = std::fs::read_dir(testdata_dir())
        .expect("testdata/auditd is readable")
        .map(|entry| entry.expect("directory entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".log"))
        .collect();
    names.sort();
    let listed: Vec<&str> = expected.iter().map(|row| row.0).collect();
    assert_eq!(names, listed, "every sample log needs a row in this table");

    for &(name, lines, records, events, issue_lines) in expected {
        let text = read_testdata(name);
        let parsed = parse(&text);
        let summary = parsed.summary;
        let non_blank = text.lines().filter(|line| !line.trim().is_empty()).count();

        assert_eq!(summary.lines, non_blank, "{name}");
        assert_eq!(summary.lines, lines, "{name}");
        assert_eq!(summary.records, records, "{name}");
        assert_eq!(summary.events, events, "{name}");
        assert!(summary.is_balanced(), "{name}: {summary:?}");
        assert_eq!(summary.records + summary.issues, non_blank, "{name}");
        assert_eq!(parsed.events.iter().map(|event| event.records.len()).sum::<usize>(), summary.records, "{name}");
        assert_eq!(parsed.events.len(), summary.events, "{name}");
        assert_eq!(parsed.issues.len(), summary.issues, "{name}");
        let found: Vec<usize> = parsed.issues.iter().map(|issue| issue.line).collect();
        assert_eq!(found, issue_lines, "{name}: {:?}", parsed.issues);

        let mut record_lines: Vec<usize> = parsed.events.iter().flat_map(lines_of).collect();
        record_lines.extend(&found);
        record_lines.sort_unstable();
        let expected_lines: Vec<usize> = (1..=non_blank).collect();
        assert_eq!(record_lines, expected_lines, "{name}: each line is used once");

        for event in &parsed.events {
            let mapped = to_event(event);
            assert_valid(&mapped.event);
        }
    }
}

#[test]
fn corpus_unknown_record_is_reported() {
    let parsed = parse(&read_testdata("golibaudit-audit-rhel7.log"));
    let issue = &parsed.issues[0];
    assert_eq!(issue.line, 31);
    assert!(issue.reason.contains("msg=audit(TIME:SERIAL)"), "{issue}");
    assert!(issue.to_string().starts_with("line 31: "), "{issue}");
}

#[test]
fn execve_hex_argument_is_decoded() {
    let event = parse_one(&read_testdata("beats-execve-hex-arg.log"));
    let record = &event.records[0];
    assert_eq!(record.value("a0"), Some("sh"));
    assert_eq!(record.value("a2"), Some(r#"echo \"arg hex encoded\""#));
    assert_eq!(record.fields[3].encoding, Encoding::Hex { invalid_utf8_bytes: 0 });

    let mapped = to_event(&event);
    let details = details_of(&mapped.event);
    assert_eq!(details["EXECVE.a2"], r#"echo \"arg hex encoded\""#);
    assert_eq!(details["EXECVE.argc"], "3");
    assert!(mapped.adjustments.is_empty(), "{:?}", mapped.adjustments);
    match &mapped.event {
        AuditEvent::External { action, target, actor, .. } => {
            assert_eq!(action, "EXECVE");
            assert_eq!(target, "sh");
            assert_eq!(actor, "unknown");
        }
        other => panic!("expected External, got {other:?}"),
    }
}

#[test]
fn hex_values_in_corpus_are_decoded() {
    let parsed = parse(&read_testdata("golibaudit-audit-rhel7.log"));
    let cwd = parsed.events.iter().find(|event| event.serial == 1208725).expect("CWD event");
    assert_eq!(cwd.records[0].value("cwd"), Some("/tmp/a b c"));

    let syscall = parsed.events.iter().find(|event| event.serial == 512226).expect("SYSCALL event");
    assert_eq!(syscall.records[0].value("exe"), Some("/usr/bin/python2.7;58d1ccfb (deleted)"));
    assert_eq!(syscall.records[0].value("a1"), Some("7ffeb50e4570"), "SYSCALL arguments stay hex");

    let tty = parsed.events.iter().find(|event| event.serial == 1065565).expect("TTY event");
    let data = tty.records[0].value("data").expect("data field");
    assert!(data.starts_with("eh\u{7f}\u{7f}echo test\r"), "{data:?}");
    let mapped = to_event(tty);
    assert_valid(&mapped.event);
    assert!(details_of(&mapped.event)["TTY.data"].starts_with("eh\\x7f\\x7fecho test\r"));
    assert_eq!(mapped.adjustments.escaped_values, 1);
}

#[test]
fn proctitle_nul_separators_become_spaces() {
    let event = parse_one("type=PROCTITLE msg=audit(1451781471.394:1): proctitle=2F62696E2F7368002D63006C73\n");
    assert_eq!(event.records[0].value("proctitle"), Some("/bin/sh\0-c\0ls"));

    let mapped = to_event(&event);
    assert_valid(&mapped.event);
    assert_eq!(details_of(&mapped.event)["PROCTITLE.proctitle"], "/bin/sh -c ls");
    assert_eq!(mapped.adjustments.nul_separated_values, 2, "the detail and the target");
    assert_eq!(mapped.adjustments.escaped_values, 0);
}

#[test]
fn interleaved_records_are_grouped() {
    let parsed = parse(&read_testdata("golibaudit-test3.log"));
    let by_serial = |serial: u64| parsed.events.iter().find(|event| event.serial == serial).expect("event");

    assert_eq!(lines_of(by_serial(194435)), [1, 4]);
    assert_eq!(lines_of(by_serial(194433)), [2, 3]);
    assert_eq!(lines_of(by_serial(194438)), [9, 13]);
    assert_eq!(lines_of(by_serial(194440)), [12, 14]);
    let first_serials: Vec<u64> = parsed.events.iter().take(3).map(|event| event.serial).collect();
    assert_eq!(first_serials, [194435, 194433, 194436], "events keep the order of their first record");

    let mapped = to_event(by_serial(194435));
    let details = details_of(&mapped.event);
    assert_eq!(details["audit.records"], "SYSCALL,PROCTITLE");
    assert_eq!(details["audit.lines"], "1,4");
    assert_eq!(details["audit.serial"], "194435");
    assert_eq!(details["SYSCALL.arch"], "c000003e");
    assert_eq!(details["PROCTITLE.proctitle"], "sshd: burn [priv]");
    match &mapped.event {
        AuditEvent::External { actor, action, target, outcome, .. } => {
            assert_eq!(actor, "auid=1000");
            assert_eq!(action, "syscall 23");
            assert_eq!(target, "/usr/sbin/sshd");
            assert_eq!(outcome, &AuditResult::Success);
        }
        other => panic!("expected External, got {other:?}"),
    }
}

#[test]
fn eoe_closes_an_event() {
    let text = "\
type=SYSCALL msg=audit(1.000:7): syscall=2 success=yes
type=EOE msg=audit(1.000:7):
type=SYSCALL msg=audit(1.000:7): syscall=3 success=yes
type=EOE msg=audit(2.000:8):
";
    let parsed = parse(text);
    assert_eq!(parsed.events.len(), 2);
    assert_eq!(lines_of(&parsed.events[0]), [1, 2]);
    assert_eq!(lines_of(&parsed.events[1]), [3]);
    assert_eq!(parsed.issues.len(), 1);
    assert_eq!(parsed.issues[0].line, 4);
    assert!(parsed.issues[0].reason.contains("EOE"), "{}", parsed.issues[0]);
    assert!(parsed.summary.is_balanced(), "{:?}", parsed.summary);
}

#[test]
fn nodes_separate_events() {
    let text = "\
node=web1 type=USER_CMD msg=audit(5.100:9): pid=1 uid=0 auid=1000 msg='cwd=\"/\" cmd=6C73 res=success'
node=web2 type=USER_CMD msg=audit(5.100:9): pid=1 uid=0 auid=1000 msg='cwd=\"/\" cmd=6C73 res=success'
";
    let parsed = parse(text);
    let nodes: Vec<Option<&str>> = parsed.events.iter().map(|event| event.node.as_deref()).collect();
    assert_eq!(nodes, [Some("web1"), Some("web2")]);

    let mapped = to_event(&parsed.events[1]);
    let details = details_of(&mapped.event);
    assert_eq!(details["audit.node"], "web2");
    assert_eq!(details["USER_CMD.cmd"], "ls");
    match &mapped.event {
        AuditEvent::External { target, .. } => assert_eq!(target, "ls"),
        other => panic!("expected External, got {other:?}"),
    }
}

#[test]
fn nested_msg_fields_become_details() {
    let parsed = parse(&read_testdata("beats-audit-rhel6.log"));
    let event = &parsed.events[0];
    assert_eq!(event.records[0].value("op"), Some("PAM:session_close"));
    assert_eq!(event.records[0].value("text"), Some("user"));

    let mapped = to_event(event);
    let details = details_of(&mapped.event);
    assert_eq!(details["USER_END.acct"], "root");
    assert_eq!(details["USER_END.exe"], "/usr/bin/sudo");
    assert_eq!(details["USER_END.res"], "success");
    assert_eq!(details["audit.outcome_from"], "USER_END.res=success");
    assert!(!details.contains_key("USER_END.msg"));
    match &mapped.event {
        AuditEvent::External { actor, action, target, .. } => {
            assert_eq!(actor, "auid=700");
            assert_eq!(action, "USER_END");
            assert_eq!(target, "root");
        }
        other => panic!("expected External, got {other:?}"),
    }
}

#[test]
fn event_time_is_utc_milliseconds() {
    let event = parse_one("type=PATH msg=audit(1489519230.178:1): item=0 name=\"/etc/passwd\"\n");
    let expected = Utc.with_ymd_and_hms(2017, 3, 14, 19, 20, 30).single().expect("valid date")
        + chrono::Duration::milliseconds(178);
    assert_eq!(event.time, expected);
    assert_eq!(to_event(&event).event.timestamp(), expected);

    let precise = parse_one("type=PATH msg=audit(1489519230.178999:1): item=0\n");
    assert_eq!(to_event(&precise).event.timestamp(), expected, "truncated to milliseconds");
}

#[test]
fn malformed_lines_are_reported_with_line_numbers() {
    let text = "\
type=PATH msg=audit(1.000:1): item=0 name=\"/a\"
hello world

type=PATH item=0
type=PATH msg=audit(03/14/2017 19:20:30.178:19600327): item=0
type=PATH msg=audit(1.000:x): item=0
type=PATH msg=audit(1.000:2): name=\"/unterminated
type=PA\u{1b}TH msg=audit(1.000:3): item=0
node= type=PATH msg=audit(1.000:4): item=0
type=PATH msg=audit(1.000:5 item=0
type=PATH msg=audit(99999999999999999.000:6): item=0
type=PATH msg=audit(1.000:7): item=0 name=\"/b\"
";
    let parsed = parse(text);
    let lines: Vec<usize> = parsed.issues.iter().map(|issue| issue.line).collect();
    assert_eq!(lines, [2, 4, 5, 6, 7, 8, 9, 10, 11]);
    assert_eq!(lines_of(&parsed.events[0]), [1]);
    assert_eq!(lines_of(&parsed.events[1]), [12]);
    assert_eq!(parsed.summary.blank_lines, 1);
    assert_eq!(parsed.summary.lines, 11);
    assert!(parsed.summary.is_balanced(), "{:?}", parsed.summary);

    let reason = |line: usize| parsed.issues.iter().find(|issue| issue.line == line).expect("issue").reason.clone();
    assert!(reason(2).contains("expected \"type=\""), "{}", reason(2));
    assert!(reason(4).contains("msg=audit(TIME:SERIAL)"), "{}", reason(4));
    assert!(reason(5).contains("ausearch --raw"), "{}", reason(5));
    assert!(reason(6).contains("serial number"), "{}", reason(6));
    assert!(reason(7).contains("no closing \" quote"), "{}", reason(7));
    assert!(reason(8).contains("PA\\x1bTH"), "the type is shown escaped: {}", reason(8));
    assert!(reason(9).contains("node="), "{}", reason(9));
    assert!(reason(10).contains("closing parenthesis"), "{}", reason(10));
    assert!(reason(11).contains("invalid event time"), "{}", reason(11));
    for issue in &parsed.issues {
        assert!(check_text("reason", &issue.reason, false).is_ok(), "{issue}");
    }
}

#[test]
fn invalid_utf8_line_is_an_issue() {
    let mut input = b"type=PATH msg=audit(1.000:1): item=0\n".to_vec();
    input.extend_from_slice(b"type=PATH msg=audit(1.000:2): name=\"\xff\"\r\n");
    input.extend_from_slice(b"type=PATH msg=audit(1.000:3): item=0");
    let parsed = parse_bytes(&input);
    assert_eq!(parsed.events.len(), 2);
    assert_eq!(parsed.issues.len(), 1);
    assert_eq!(parsed.issues[0].line, 2);
    assert!(parsed.issues[0].reason.contains("UTF-8"), "{}", parsed.issues[0]);
    assert!(parsed.summary.is_balanced());
}

#[test]
fn ausearch_separators_are_counted() {
    let text = "\
----
time->Tue Mar 14 19:20:30 2017
type=PATH msg=audit(1489519230.178:1): item=0 name=\"/etc/passwd\"
----
";
    let parsed = parse(text);
    assert_eq!(parsed.summary.separator_lines, 3);
    assert_eq!(parsed.summary.records, 1);
    assert!(parsed.issues.is_empty());
    assert!(parsed.summary.is_balanced());
}

#[test]
fn enriched_fields_name_the_actor() {
    let line = "type=SYSCALL msg=audit(1.000:1): arch=c000003e syscall=59 success=yes exit=0 auid=1000 uid=0 \
                comm=\"ls\" exe=\"/bin/ls\" key=(null)\u{1d}ARCH=x86_64 SYSCALL=execve AUID=\"alice\" UID=\"root\"\n";
    let event = parse_one(line);
    assert_eq!(event.records[0].enriched_value("UID"), Some("root"));
    assert_eq!(event.records[0].value("key"), Some("(null)"));

    let mapped = to_event(&event);
    let details = details_of(&mapped.event);
    assert_eq!(details["SYSCALL.enriched.UID"], "root");
    assert_eq!(details["SYSCALL.uid"], "0");
    match &mapped.event {
        AuditEvent::External { actor, action, target, .. } => {
            assert_eq!(actor, "alice");
            assert_eq!(action, "execve");
            assert_eq!(target, "/bin/ls");
        }
        other => panic!("expected External, got {other:?}"),
    }
}

#[test]
fn repeated_record_types_are_indexed() {
    let text = "\
type=SYSCALL msg=audit(1.000:1): syscall=82 success=no exit=-2 auid=1000 uid=1000 exe=\"/bin/mv\"
type=PATH msg=audit(1.000:1): item=0 name=\"/tmp/a\"
type=PATH msg=audit(1.000:1): item=1 name=2F746D702F6220632F
type=EOE msg=audit(1.000:1):
";
    let mapped = to_event(&parse_one(text));
    assert_valid(&mapped.event);
    let details = details_of(&mapped.event);
    assert_eq!(details["PATH[0].name"], "/tmp/a");
    assert_eq!(details["PATH[1].name"], "/tmp/b c/");
    assert_eq!(details["audit.records"], "SYSCALL,PATH,PATH,EOE");
    assert_eq!(details["audit.lines"], "1,2,3,4");
    match &mapped.event {
        AuditEvent::External { target, outcome, .. } => {
            assert_eq!(target, "/tmp/a");
            let reason = "SYSCALL.success=no, SYSCALL.exit=-2".to_owned();
            assert_eq!(outcome, &AuditResult::Failure { reason });
        }
        other => panic!("expected External, got {other:?}"),
    }
}

#[test]
fn kernel_record_is_primary_over_syscall() {
    let parsed = parse(&read_testdata("beats-audit-rhel6.log"));
    let event = parsed.events.iter().find(|event| event.serial == 19600354).expect("event");
    assert_eq!(lines_of(event), [6, 7]);
    match &to_event(event).event {
        AuditEvent::External { action, actor, target, .. } => {
            assert_eq!(action, "MAC_IPSEC_EVENT");
            assert_eq!(actor, "uid=0");
            assert_eq!(target, "/usr/libexec/strongswan/charon (deleted)");
        }
        other => panic!("expected External, got {other:?}"),
    }
}

#[test]
fn user_auth_success_is_auth_success() {
    let parsed = parse(&read_testdata("beats-audit-rhel6.log"));
    let event = parsed.events.iter().find(|event| event.serial == 19623789).expect("event");
    let mapped = to_event(event);
    match &mapped.event {
        AuditEvent::AuthSuccess { actor, path, service_id, .. } => {
            assert_eq!(actor.user_id, "admin");
            assert_eq!(actor.ip, Some("96.241.146.97".parse::<IpAddr>().expect("address")));
            assert_eq!(actor.session_id.as_deref(), Some("6793"));
            assert_eq!(path, "ssh");
            assert_eq!(service_id, "/usr/sbin/sshd");
        }
        other => panic!("expected AuthSuccess, got {other:?}"),
    }
    // text, pid, uid, auid, op and hostname have no place in AuthSuccess.
    assert_eq!(mapped.adjustments.unmapped_fields, 6);
}

#[test]
fn login_with_uid_is_auth_success() {
    let parsed = parse(&read_testdata("golibaudit-audit-ubuntu16.log"));
    let mapped = to_event(&parsed.events[1]);
    match &mapped.event {
        AuditEvent::AuthSuccess { actor, path, .. } => {
            assert_eq!(actor.user_id, "uid=1001");
            assert_eq!(actor.ip, Some("72.83.230.100".parse::<IpAddr>().expect("address")));
            assert_eq!(path, "/dev/pts/1");
        }
        other => panic!("expected AuthSuccess, got {other:?}"),
    }
}

#[test]
fn failed_login_maps_to_auth_failure() {
    let parsed = parse(&read_testdata("golibaudit-audit-ubuntu16.log"));
    let mapped = to_event(&parsed.events[0]);
    assert_valid(&mapped.event);
    match &mapped.event {
        AuditEvent::AuthFailure { attempted_user, reason, ip, path, service_id, .. } => {
            assert_eq!(attempted_user, &None, "sshd logs (invalid user) for an unknown name");
            assert_eq!(ip, &"179.38.151.221".parse::<IpAddr>().expect("address"));
            assert_eq!(path, "sshd");
            assert_eq!(service_id, "/usr/sbin/sshd");
            assert!(reason.starts_with("USER_LOGIN failed (audit serial 19955, line 1):"), "{reason}");
            assert!(reason.contains(" acct=\"(invalid user)\""), "{reason}");
            assert!(reason.contains(" pid=12635 "), "{reason}");
        }
        other => panic!("expected AuthFailure, got {other:?}"),
    }
}

#[test]
fn failures_without_ip_stay_external() {
    let text = "\
type=USER_LOGIN msg=audit(1.000:1): pid=1 uid=0 auid=4294967295 ses=4294967295 msg='op=login acct=\"bob\" exe=\"/usr/sbin/sshd\" hostname=? addr=? terminal=sshd res=failed'
type=USER_ERR msg=audit(1.000:2): pid=1 uid=0 auid=4294967295 msg='op=PAM:bad_ident acct=\"?\" exe=\"/usr/sbin/sshd\" addr=190.48.233.76 terminal=ssh res=failed'
type=USER_START msg=audit(1.000:3): pid=1 uid=0 auid=1000 ses=1 msg='op=PAM:session_open acct=\"alice\" exe=\"/usr/sbin/sshd\" addr=10.0.0.1 terminal=ssh res=success'
type=USER_AUTH msg=audit(1.000:4): pid=1 uid=0 auid=4294967295 msg='op=PAM:authentication acct=\"?\" exe=\"/usr/sbin/sshd\" addr=10.0.0.1 terminal=ssh res=success'
";
    let parsed = parse(text);
    let expected = [
        ("bob", "USER_LOGIN", true),
        ("uid=0", "USER_ERR", true),
        ("auid=1000", "USER_START", false),
        ("uid=0", "USER_AUTH", false),
    ];
    for (event, (expected_actor, expected_action, failed)) in parsed.events.iter().zip(expected) {
        let mapped = to_event(event);
        assert_valid(&mapped.event);
        match &mapped.event {
            AuditEvent::External { actor, action, outcome, .. } => {
                assert_eq!(actor, expected_actor);
                assert_eq!(action, expected_action);
                assert_eq!(matches!(outcome, AuditResult::Failure { .. }), failed, "{outcome:?}");
            }
            other => panic!("expected External, got {other:?}"),
        }
    }
}

#[test]
fn apparmor_denial_is_a_failure() {
    let parsed = parse(&read_testdata("golibaudit-audit-ubuntu16.log"));
    match &to_event(&parsed.events[2]).event {
        AuditEvent::External { outcome, action, .. } => {
            assert_eq!(action, "AVC");
            let reason = "AVC.apparmor=DENIED".to_owned();
            assert_eq!(outcome, &AuditResult::Failure { reason });
        }
        other => panic!("expected External, got {other:?}"),
    }
}

#[test]
fn event_without_result_is_success_with_note() {
    let mapped = to_event(&parse_one(&read_testdata("golibaudit-audit-ubuntu14.log")));
    let details = details_of(&mapped.event);
    assert!(details["audit.outcome_from"].starts_with("none:"), "{}", details["audit.outcome_from"]);
    assert_eq!(details["PATH.name"], "/share/general/path_redacted");
}

#[test]
fn hostile_values_pass_validation() {
    let long = "L".repeat(5000);
    let text = format!(
        "type=USER_LOGIN msg=audit(1.000:1): pid=1 uid=0 msg='op=login acct=\"ev\u{1b}[2Jil\" exe=\"/bin/\u{202e}hs\" addr=10.1.2.3 terminal=\u{0}tty res=failed'\n\
         type=USER_AUTH msg=audit(1.000:2): pid=1 msg='acct=\"mal\u{2066}lory\u{feff}\" exe=\"{long}\" addr=10.1.2.3 terminal=t\u{85}ty res=success'\n\
         type=SYSCALL msg=audit(1.000:3): syscall=59 success=yes auid=10\u{1b}00 comm=1B5B33316D6576696C exe=\"{long}\" key=\"a\u{0}b\"\n\
         type=PROCTITLE msg=audit(1.000:3): proctitle={hex_long}\n\
         type=X\u{202e} msg=audit(1.000:4): n\u{1b}ame=1\n\
         type=PATH msg=audit(1.000:5): name=\"\u{1b}]0;title\u{7}\" k\u{202e}ey=\"{long}\"\n",
        hex_long = "41".repeat(3000),
    );
    let parsed = parse(&text);
    assert!(parsed.summary.is_balanced(), "{:?}", parsed.summary);
    let issue_lines: Vec<usize> = parsed.issues.iter().map(|issue| issue.line).collect();
    assert_eq!(issue_lines, [5], "a record type with a bidi override is rejected");
    assert_eq!(parsed.events.len(), 4);

    let mapped: Vec<Mapped> = parsed.events.iter().map(to_event).collect();
    for item in &mapped {
        assert_valid(&item.event);
    }

    match &mapped[0].event {
        AuditEvent::AuthFailure { attempted_user, path, service_id, reason, .. } => {
            assert_eq!(attempted_user.as_deref(), Some("ev\\x1b[2Jil"));
            assert_eq!(path, "\\x00tty");
            assert_eq!(service_id, "/bin/\\u{202e}hs");
            assert!(reason.contains("acct=ev\\x1b[2Jil"), "{reason}");
        }
        other => panic!("expected AuthFailure, got {other:?}"),
    }
    assert!(mapped[0].adjustments.escaped_values >= 4, "{:?}", mapped[0].adjustments);

    match &mapped[1].event {
        AuditEvent::AuthSuccess { actor, service_id, path, .. } => {
            assert_eq!(actor.user_id, "mal\\u{2066}lory\\u{feff}");
            assert_eq!(path, "t\\u{85}ty");
            assert_eq!(service_id.chars().count(), 1024);
            assert!(service_id.ends_with("...[truncated from 5000 characters]"), "{service_id}");
        }
        other => panic!("expected AuthSuccess, got {other:?}"),
    }
    assert_eq!(mapped[1].adjustments.truncated_values, 1);

    let details = details_of(&mapped[2].event);
    assert_eq!(details["SYSCALL.comm"], "\\x1b[31mevil");
    assert_eq!(details["SYSCALL.key"], "a\\x00b");
    assert!(details["SYSCALL.exe"].ends_with("...[truncated from 5000 characters]"));
    assert!(details["PROCTITLE.proctitle"].ends_with("...[truncated from 3000 characters]"));
    match &mapped[2].event {
        AuditEvent::External { actor, .. } => assert_eq!(actor, "auid=10\\x1b00"),
        other => panic!("expected External, got {other:?}"),
    }

    let details = details_of(&mapped[3].event);
    assert_eq!(details["PATH.name"], "\\x1b]0;title\\x07");
    assert!(details.contains_key("PATH.k\\u{202e}ey"), "{:?}", details.keys().collect::<Vec<_>>());
}

#[test]
fn too_many_fields_keep_first_entries() {
    let fields: Vec<String> = (0..300).map(|index| format!("f{index}={index}")).collect();
    let text = format!("type=CUSTOM msg=audit(1.000:1): {}\n", fields.join(" "));
    let mapped = to_event(&parse_one(&text));
    assert_valid(&mapped.event);

    let details = details_of(&mapped.event);
    // 4 audit.* entries and 300 fields: 255 kept, 49 left out, plus the note.
    assert_eq!(details.len(), MAX_DETAILS);
    assert_eq!(mapped.adjustments.omitted_details, 49);
    let note = format!(
        "49 of 304 detail entries omitted: an event holds at most {MAX_DETAILS} entries and {MAX_EVENT_BYTES} bytes"
    );
    assert_eq!(details["audit.omitted"], note);
    assert_eq!(details["CUSTOM.f250"], "250");
    assert!(!details.contains_key("CUSTOM.f251"));
}

#[test]
fn exactly_max_details_are_all_kept() {
    let fields: Vec<String> = (0..MAX_DETAILS - 4).map(|index| format!("f{index}={index}")).collect();
    let text = format!("type=CUSTOM msg=audit(1.000:1): {}\n", fields.join(" "));
    let mapped = to_event(&parse_one(&text));
    let details = details_of(&mapped.event);
    assert_eq!(details.len(), MAX_DETAILS);
    assert!(!details.contains_key("audit.omitted"));
    assert_eq!(mapped.adjustments.omitted_details, 0);
}

#[test]
fn large_values_stay_within_event_size() {
    let value = "\u{1b}".repeat(300);
    let fields: Vec<String> = (0..200).map(|index| format!("f{index}=\"{value}\"")).collect();
    let text = format!("type=CUSTOM msg=audit(1.000:1): {}\n", fields.join(" "));
    let mapped = to_event(&parse_one(&text));
    assert_valid(&mapped.event);

    let details = details_of(&mapped.event);
    let omitted = mapped.adjustments.omitted_details;
    assert!(omitted > 0, "some entries must be left out");
    assert!(omitted < 200, "{omitted} entries left out");
    assert_eq!(details.len(), 204 - omitted + 1);
    assert!(details["audit.omitted"].starts_with(&format!("{omitted} of 204 ")));
    assert_eq!(mapped.adjustments.escaped_values, 204 - omitted - 4);
    assert_eq!(mapped.adjustments.truncated_values, 204 - omitted - 4);
}

#[test]
fn colliding_keys_are_kept_apart() {
    let long_name = "k".repeat(2000);
    let text = format!(
        "type=CUSTOM msg=audit(1.000:1): {long_name}a=1 {long_name}b=2\ntype=audit msg=audit(1.000:1): serial=3\n"
    );
    let mapped = to_event(&parse_one(&text));
    assert_valid(&mapped.event);
    let details = details_of(&mapped.event);
    assert_eq!(details["audit.serial"], "1");
    assert_eq!(details["audit.serial#2"], "3");
    let long_values: Vec<&String> =
        details.iter().filter(|(key, _)| key.starts_with("CUSTOM.kkk")).map(|(_, value)| value).collect();
    assert_eq!(long_values, ["1", "2"]);
}

#[test]
fn event_without_records_maps_safely() {
    let event = AuditdEvent { node: None, time: Utc::now(), serial: 1, records: Vec::new() };
    let mapped = to_event(&event);
    assert_valid(&mapped.event);
    match &mapped.event {
        AuditEvent::External { actor, action, target, .. } => {
            assert_eq!(actor, "unknown");
            assert_eq!(action, "unknown");
            assert_eq!(target, "");
        }
        other => panic!("expected External, got {other:?}"),
    }
}

#[test]
fn logger_accepts_every_mapped_event() {
    use audit_logging::{AuditConfig, AuditLogger, AuditMode, FlushMode, RetentionPolicy, RotationPolicy};

    let dir = tempfile::tempdir().expect("temporary directory");
    let logger = AuditLogger::new(AuditConfig {
        mode: AuditMode::Local { base_dir: dir.path().to_path_buf() },
        service_id: "auditd-import-test".into(),
        rotation_policy: RotationPolicy::Daily,
        retention_policy: RetentionPolicy::default(),
        flush_mode: FlushMode::Immediate,
    })
    .expect("logger opens");

    let hostile = format!(
        "type=USER_LOGIN msg=audit(1.000:1): msg='acct=\"a\u{1b}b\" addr=10.0.0.1 terminal=\u{202e}x res=failed'\n\
         type=SYSCALL msg=audit(1.000:2): auid=1 comm=1B00 exe=\"{}\" {}\n",
        "x".repeat(5000),
        (0..300).map(|index| format!("f{index}=\"{}\"", "\u{85}".repeat(400))).collect::<Vec<_>>().join(" "),
    );
    let mut texts: Vec<String> = std::fs::read_dir(testdata_dir())
        .expect("testdata/auditd is readable")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "log"))
        .map(|path| std::fs::read_to_string(path).expect("sample log is UTF-8"))
        .collect();
    texts.push(hostile);

    let mut emitted = 0;
    for text in &texts {
        for event in parse(text).events {
            let mapped = to_event(&event);
            if let Err(error) = logger.emit(mapped.event) {
                panic!("event with serial {} rejected: {error}", event.serial);
            }
            emitted += 1;
        }
    }
    assert!(emitted > 90, "{emitted}");
    logger.shutdown_blocking().expect("logger shuts down");
    let verdict = audit_logging::verify(dir.path()).expect("log verifies");
    assert!(verdict.is_intact(), "{verdict:?}");
}
