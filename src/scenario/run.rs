//! Checking a scenario's steps, and running them against a sandbox.

use std::collections::HashMap;

use portcullis_hle::io::request::{OutBuffer, RequestId};
use portcullis_hle::types::NtStatus;
use toml::Spanned;

use super::format;
use super::registry::RegistryStep;
use super::step_result::{StepOutcome, StepResult};
use super::{Action, Expect, PortCheck, Scenario, ScenarioError, Step};
use crate::outcome::Outcome;
use crate::report::status_text;
use crate::sandbox::{Handle, RunError, Sandbox};

/// How a scenario run went.
#[derive(Debug, Clone)]
pub struct ScenarioOutcome {
    pub steps_run: usize,
    pub failed_expectations: usize,
    /// The error that stopped the machine, if one did.
    pub stopped: Option<RunError>,
    /// Whether the run ended the way the scenario said it would.
    pub outcome_as_expected: bool,
}

const ACTIONS: &str = "open, ioctl, read, write, close, pending, expect_port, expect_no_port, expect_mmio, \
                       expect_no_mmio, expect_pci, expect_no_pci, unload, open_process, open_thread, set_value, \
                       delete_value, create_key, delete_key, shutdown, pnp_start, pnp_remove, power, advance, \
                       wait_idle, process_start, process_exit, filter_connect, filter_send, filter_disconnect, packet, \
                       program";

/// What `wait_idle = true` lets pass at most.
pub const WAIT_IDLE_CAP: std::time::Duration = std::time::Duration::from_secs(60);

pub(crate) fn check_steps(
    raw: &[Spanned<format::Step>],
    base: &std::path::Path,
    err: &dyn Fn(usize, String) -> ScenarioError,
) -> Result<Vec<Step>, ScenarioError> {
    let mut steps = Vec::new();
    let mut handles: Vec<String> = Vec::new();
    let mut requests: std::collections::HashSet<String> = Default::default();
    let mut ports: Vec<String> = Vec::new();
    let mut auto = 0;
    let mut unloaded_at: Option<usize> = None;
    for (i, s) in raw.iter().enumerate() {
        let number = i + 1;
        let at = s.span().start;
        let line = err(at, String::new()).line;
        let r = s.get_ref();
        let fail = |m: String| Err(err(at, format!("step {number}: {m}")));
        let present: Vec<&str> = [
            ("open", r.open.is_some()),
            ("ioctl", r.ioctl.is_some()),
            ("read", r.read.is_some()),
            ("write", r.write.is_some()),
            ("close", r.close.is_some()),
            ("pending", r.pending.is_some()),
            ("expect_port", r.expect_port.is_some()),
            ("expect_no_port", r.expect_no_port.is_some()),
            ("expect_mmio", r.expect_mmio.is_some()),
            ("expect_no_mmio", r.expect_no_mmio.is_some()),
            ("expect_pci", r.expect_pci.is_some()),
            ("expect_no_pci", r.expect_no_pci.is_some()),
            ("unload", r.unload == Some(true)),
            ("open_process", r.open_process.is_some()),
            ("open_thread", r.open_thread.is_some()),
            ("set_value", r.set_value.is_some()),
            ("delete_value", r.delete_value.is_some()),
            ("create_key", r.create_key.is_some()),
            ("delete_key", r.delete_key.is_some()),
            ("shutdown", r.shutdown == Some(true)),
            ("pnp_start", r.pnp_start == Some(true)),
            ("pnp_remove", r.pnp_remove == Some(true)),
            ("power", r.power.is_some()),
            ("advance", r.advance.is_some()),
            ("wait_idle", matches!(r.wait_idle, Some(format::WaitIdle::Yes(true)) | Some(format::WaitIdle::Cap(_)))),
            ("process_start", r.process_start.is_some()),
            ("process_exit", r.process_exit.is_some()),
            ("filter_connect", r.filter_connect.is_some()),
            ("filter_send", r.filter_send.is_some()),
            ("filter_disconnect", r.filter_disconnect.is_some()),
            ("packet", r.packet.is_some()),
            ("program", r.program.is_some()),
        ]
        .into_iter()
        .filter_map(|(n, p)| p.then_some(n))
        .collect();
        let [kind] = present[..] else {
            return fail(if present.is_empty() {
                format!("expected one action ({ACTIONS})")
            } else {
                format!("expected one action, found {}", present.join(" and "))
            });
        };
        let action = kind;
        if action == "unload" {
            if let Some(first) = unloaded_at {
                return fail(format!("the driver is already unloaded (step {first}); a driver unloads once"));
            }
            unloaded_at = Some(number);
        }
        // Which qualifiers each action takes.
        let allowed: &[&str] = match action {
            "open" => &["as", "access", "expect_status"],
            "ioctl" => &[
                "as",
                "handle",
                "input",
                "output",
                "input_pointer",
                "output_pointer",
                "internal",
                "expect_status",
                "expect_output",
                "expect_information",
                "expect_pending",
            ],
            "read" => &["handle", "offset", "expect_status", "expect_output", "expect_information"],
            "write" => &["handle", "offset", "expect_status", "expect_information"],
            "pending" => &["expect_status", "expect_output", "expect_information"],
            "unload" => &["expect_leaks"],
            "open_process" | "open_thread" => &["access", "expect_status", "expect_access"],
            "set_value" | "delete_value" | "create_key" | "delete_key" => &["expect_status"],
            "process_start" => &["expect_denied"],
            "process_exit" => &["exit_status"],
            "filter_connect" => &["as", "input", "reply", "expect_status"],
            "filter_send" => &["handle", "output", "expect_status", "expect_output"],
            "program" => &["args", "stdin", "dlls", "expect_exit", "expect_console"],
            _ => &[],
        };
        let given = [
            ("as", r.name.is_some()),
            ("handle", r.handle.is_some()),
            ("input", r.input.is_some()),
            ("output", r.output.is_some()),
            ("input_pointer", r.input_pointer.is_some()),
            ("output_pointer", r.output_pointer.is_some()),
            ("offset", r.offset.is_some()),
            ("internal", r.internal.is_some()),
            ("expect_status", r.expect_status.is_some()),
            ("expect_output", r.expect_output.is_some()),
            ("expect_information", r.expect_information.is_some()),
            ("expect_pending", r.expect_pending.is_some()),
            ("expect_leaks", r.expect_leaks.is_some()),
            ("access", r.access.is_some()),
            ("expect_access", r.expect_access.is_some()),
            ("exit_status", r.exit_status.is_some()),
            ("expect_denied", r.expect_denied.is_some()),
            ("reply", r.reply.is_some()),
            ("args", r.args.is_some()),
            ("stdin", r.stdin.is_some()),
            ("dlls", r.dlls.is_some()),
            ("expect_exit", r.expect_exit.is_some()),
            ("expect_console", r.expect_console.is_some()),
        ];
        if let Some((bad, _)) = given.iter().find(|(k, g)| *g && !allowed.contains(k)) {
            return fail(format!(
                "`{bad}` does not apply to `{action}` (it takes: {})",
                if allowed.is_empty() { "nothing else".into() } else { allowed.join(", ") }
            ));
        }
        // Buffers the sandbox could never pass are refused here, not at run time.
        let max = portcullis_hle::io::request::MAX_BUFFER;
        let sizes = [
            ("input", r.input.as_ref().map(|b| b.0.len() as u64)),
            ("write", r.write.as_ref().map(|b| b.0.len() as u64)),
            ("read", r.read),
            (
                "output",
                r.output.as_ref().map(|o| match o {
                    format::Output::Len(n) => *n,
                    format::Output::Initial(b) => b.len() as u64,
                }),
            ),
        ];
        if let Some((key, n)) = sizes.iter().find_map(|(k, n)| n.filter(|n| *n > max).map(|n| (k, n))) {
            return fail(format!("`{key}` of {n} bytes: a buffer is at most {max} bytes (64 MiB)"));
        }
        let use_handle = |h: &Option<String>, handles: &Vec<String>| -> Result<Option<String>, ScenarioError> {
            match h {
                Some(h) if handles.contains(h) => Ok(Some(h.clone())),
                Some(h) => {
                    Err(err(at, format!("step {number}: no open handle named `{h}` (open one with `as = \"{h}\"`)")))
                }
                None => match handles.last() {
                    Some(h) => Ok(Some(h.clone())),
                    None => Err(err(at, format!("step {number}: `{action}` needs an open handle; no step opened one"))),
                },
            }
        };
        let mut handle = None;
        let mut name = None;
        let action = match action {
            "open" => {
                let n = r.name.clone().unwrap_or_else(|| {
                    auto += 1;
                    format!("h{auto}")
                });
                handles.retain(|h| *h != n);
                handles.push(n.clone());
                name = Some(n);
                Action::Open {
                    path: r.open.clone().expect("present"),
                    access: r.access.unwrap_or(portcullis_hle::io::request::DEFAULT_ACCESS),
                }
            }
            "ioctl" => {
                handle = use_handle(&r.handle, &handles)?;
                if let Some(n) = &r.name {
                    requests.insert(n.clone());
                    name = Some(n.clone());
                }
                let output = match &r.output {
                    None => OutBuffer::zeroed(0),
                    Some(format::Output::Len(n)) => OutBuffer::zeroed(*n),
                    Some(format::Output::Initial(b)) => OutBuffer::with(b.clone()),
                };
                let code = r.ioctl.expect("present").0;
                let raw = match (r.input_pointer, r.output_pointer) {
                    (None, None) => None,
                    (i, o) => {
                        if code & 3 != portcullis_hle::io::method::NEITHER {
                            return fail(
                                "`input_pointer`/`output_pointer` go with METHOD_NEITHER codes (the I/O manager \
                                 probes and copies the others' buffers)"
                                    .into(),
                            );
                        }
                        if r.input.is_some() || r.output.is_some() || r.expect_output.is_some() {
                            return fail(
                                "raw pointers replace `input`/`output` (and nothing is read back for `expect_output`)"
                                    .into(),
                            );
                        }
                        let pair = |p: Option<format::RawPointer>| p.map_or((0, 0), |p| (p.address, p.length as u64));
                        Some((pair(i), pair(o)))
                    }
                };
                Action::Ioctl {
                    code,
                    input: r.input.clone().map(|b| b.0).unwrap_or_default(),
                    output,
                    internal: r.internal.unwrap_or(false),
                    raw,
                }
            }
            "read" => {
                handle = use_handle(&r.handle, &handles)?;
                Action::Read { len: r.read.expect("present"), offset: r.offset.unwrap_or(0) }
            }
            "write" => {
                handle = use_handle(&r.handle, &handles)?;
                Action::Write { data: r.write.clone().expect("present").0, offset: r.offset.unwrap_or(0) }
            }
            "close" => {
                let h = r.close.clone().expect("present");
                handle = use_handle(&Some(h.clone()), &handles)?;
                handles.retain(|x| *x != h);
                Action::Close
            }
            "pending" => {
                let req = r.pending.clone().expect("present");
                if !requests.contains(&req) {
                    return fail(format!("no earlier ioctl is named `{req}` (name one with `as = \"{req}\"`)"));
                }
                Action::Pending { request: req }
            }
            "expect_port" | "expect_no_port" => {
                let (p, happened) = match (&r.expect_port, &r.expect_no_port) {
                    (Some(p), _) => (p, true),
                    (_, Some(p)) => (p, false),
                    _ => unreachable!("one of them is present"),
                };
                if let Some(w) = p.width {
                    if ![1, 2, 4].contains(&w) {
                        return fail(format!("width {w}: expected 1, 2 or 4"));
                    }
                }
                Action::ExpectPort {
                    port: PortCheck {
                        port: p.port,
                        write: p.dir.map(|d| d == format::Direction::Out),
                        width: p.width,
                        value: p.value,
                    },
                    happened,
                }
            }
            "expect_mmio" | "expect_no_mmio" => {
                let (check, happened) = match (&r.expect_mmio, &r.expect_no_mmio) {
                    (Some(c), _) => (c.clone(), true),
                    (_, Some(c)) => (c.clone(), false),
                    _ => unreachable!("one of them is present"),
                };
                if let Some(w) = check.width.filter(|w| ![1, 2, 4].contains(w)) {
                    return fail(format!("width {w}: expected 1, 2 or 4"));
                }
                Action::ExpectMmio { check, happened }
            }
            "expect_pci" | "expect_no_pci" => {
                let (check, happened) = match (&r.expect_pci, &r.expect_no_pci) {
                    (Some(c), _) => (c.clone(), true),
                    (_, Some(c)) => (c.clone(), false),
                    _ => unreachable!("one of them is present"),
                };
                if super::physical::parse_slot(&check.slot).is_none() {
                    return fail(format!("slot `{}`: expected bus:device.function like \"00:1f.3\"", check.slot));
                }
                Action::ExpectPci { check, happened }
            }
            "open_process" | "open_thread" => Action::OpenTask {
                id: r.open_process.or(r.open_thread).expect("present"),
                thread: action == "open_thread",
                // PROCESS_ALL_ACCESS / THREAD_ALL_ACCESS unless told.
                access: r.access.unwrap_or(0x001F_FFFF),
            },
            "set_value" => {
                let v = r.set_value.clone().expect("present");
                Action::Registry(RegistryStep::SetValue { key: v.key, name: v.name, value: v.value })
            }
            "delete_value" => {
                let v = r.delete_value.clone().expect("present");
                Action::Registry(RegistryStep::DeleteValue { key: v.key, name: v.name })
            }
            "create_key" => Action::Registry(RegistryStep::CreateKey(r.create_key.clone().expect("present"))),
            "delete_key" => Action::Registry(RegistryStep::DeleteKey(r.delete_key.clone().expect("present"))),
            "shutdown" => Action::Shutdown,
            "packet" => {
                let p = r.packet.clone().expect("present");
                if p.layer != "ethernet" {
                    let layers = portcullis_hle::wfp::classify::supported_layers();
                    let name = p.layer.trim_start_matches("FWPM_LAYER_").to_ascii_uppercase();
                    if !layers.contains(&name.as_str()) {
                        return fail(format!(
                            "packet layer `{}`: \"ethernet\" (a frame from the wire to the NDIS stack) or a filtering layer: {}",
                            p.layer,
                            layers.join(", ")
                        ));
                    }
                    let verdicts = portcullis_hle::wfp::classify::VERDICTS;
                    if let Some(v) = p.verdict.as_deref().filter(|v| !verdicts.contains(v)) {
                        return fail(format!("packet verdict `{v}`: one of {}", verdicts.join(", ")));
                    }
                    let inbound = match p.direction.as_deref() {
                        None => None,
                        Some("inbound") => Some(true),
                        Some("outbound") => Some(false),
                        Some(d) => return fail(format!("packet direction `{d}`: \"inbound\" or \"outbound\"")),
                    };
                    let two_way = portcullis_hle::wfp::classify::two_way(&name);
                    if two_way != inbound.is_some() {
                        return fail(if two_way {
                            format!("packet at {name}: the layer sees datagrams both ways; say `direction`")
                        } else {
                            format!("packet direction: {name} takes one direction (only DATAGRAM_DATA needs one)")
                        });
                    }
                    Action::Classify { layer: name, packet: p.bytes.0, inbound, verdict: p.verdict }
                } else {
                    if p.verdict.is_some() || p.direction.is_some() {
                        return fail(
                            "packet verdict and direction: only a packet classified at a filtering layer has them"
                                .into(),
                        );
                    }
                    let max = portcullis_hle::ndis::adapter::MAX_TOTAL_SIZE as usize;
                    if !(14..=max).contains(&p.bytes.0.len()) {
                        return fail(format!(
                            "packet of {} bytes: an Ethernet frame is 14 (its header) to {max} bytes",
                            p.bytes.0.len()
                        ));
                    }
                    Action::Packet { frame: p.bytes.0 }
                }
            }
            "pnp_start" => Action::PnpStart,
            "pnp_remove" => Action::PnpRemove,
            "power" => {
                let p = r.power.clone().expect("present");
                if crate::sandbox::parse_power_state(&p).is_none() {
                    return fail(format!("power `{p}`: expected D0-D3 or S0-S5"));
                }
                Action::Power(p)
            }
            "advance" => Action::Advance { time: r.advance.expect("present").0 },
            "wait_idle" => Action::WaitIdle {
                cap: match r.wait_idle {
                    Some(format::WaitIdle::Cap(d)) => d,
                    _ => WAIT_IDLE_CAP,
                },
            },
            "process_start" => {
                let p = r.process_start.clone().expect("present");
                if p.pid == 0 || p.pid > u32::MAX as u64 {
                    return fail(format!(
                        "process_start of `{}`: PID {:#x} is not one a process can have",
                        p.name, p.pid
                    ));
                }
                Action::ProcessStart { name: p.name, pid: p.pid, parent: p.parent }
            }
            "program" => {
                let p = super::programs::Program::new(
                    base,
                    r.program.clone().expect("present"),
                    r.args.clone().unwrap_or_default(),
                    r.stdin.clone(),
                    r.dlls.clone().unwrap_or_default(),
                    r.expect_exit.map(|s| s.0),
                    r.expect_console.clone(),
                );
                match p {
                    Ok(p) => Action::Program(Box::new(p)),
                    Err(m) => return fail(format!("program {m}")),
                }
            }
            "process_exit" => Action::ProcessExit {
                pid: r.process_exit.expect("present"),
                status: r.exit_status.map(|s| s.0).unwrap_or(0),
            },
            "filter_connect" => {
                let n = r.name.clone().unwrap_or_else(|| {
                    auto += 1;
                    format!("port{auto}")
                });
                ports.retain(|p| *p != n);
                ports.push(n.clone());
                name = Some(n);
                Action::FilterConnect {
                    port: r.filter_connect.clone().expect("present"),
                    context: r.input.clone().map(|b| b.0).unwrap_or_default(),
                    reply: r.reply.clone().map(|b| b.0).unwrap_or_default(),
                }
            }
            "filter_send" | "filter_disconnect" => {
                let wanted = if action == "filter_send" { r.handle.clone() } else { r.filter_disconnect.clone() };
                let h = match wanted {
                    Some(h) if ports.contains(&h) => h,
                    Some(h) => return fail(format!("no port connection named `{h}` (connect with `as = \"{h}\"`)")),
                    None => match ports.last() {
                        Some(h) => h.clone(),
                        None => return fail(format!("`{action}` needs a connection; no filter_connect made one")),
                    },
                };
                handle = Some(h.clone());
                if action == "filter_disconnect" {
                    ports.retain(|p| *p != h);
                    Action::FilterDisconnect
                } else {
                    let output_len = match &r.output {
                        None => 0,
                        Some(format::Output::Len(n)) => *n,
                        Some(format::Output::Initial(b)) => b.len() as u64,
                    };
                    Action::FilterSend { input: r.filter_send.clone().expect("present").0, output_len }
                }
            }
            _ => Action::Unload,
        };
        let expect = Expect {
            status: r.expect_status.map(|s| s.0),
            output: r.expect_output.clone().map(|b| b.0),
            information: r.expect_information,
            pending: r.expect_pending,
            leaks: r.expect_leaks,
            access: r.expect_access,
            denied: r.expect_denied,
        };
        steps.push(Step { number, line, kind, action, handle, name, expect });
    }
    Ok(steps)
}

fn hex_bytes(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(" ")
}

/// Compares a finished request with a step's expectations; returns the failures.
fn check_result(e: &Expect, status: NtStatus, information: u64, output: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(want) = e.status {
        if want != status.0 {
            out.push(format!("expected status {}, got {}", status_text(want), status_text(status.0)));
        }
    }
    if let Some(want) = e.information {
        if want != information {
            out.push(format!("expected Information {want}, got {information}"));
        }
    }
    if let Some(want) = &e.output {
        if want.as_slice() != output {
            out.push(format!("expected output [{}], got [{}]", hex_bytes(want), hex_bytes(output)));
        }
    }
    out
}

fn fatal(e: &RunError) -> bool {
    !matches!(e, RunError::OpenFailed(_) | RunError::BadHandle(_) | RunError::Process(_) | RunError::Refused(_))
}

pub(crate) fn run(s: &Scenario, sb: &mut Sandbox) -> ScenarioOutcome {
    let mut f = Failures::default();
    let mut steps_run = 0usize;
    let finish = |sb: &Sandbox, steps_run: usize, failed: usize| {
        let stopped = sb.stopped().cloned();
        let actual = stopped.as_ref().map_or(Outcome::Ok, RunError::outcome);
        ScenarioOutcome {
            steps_run,
            failed_expectations: failed,
            outcome_as_expected: actual == s.expect_outcome(),
            stopped,
        }
    };

    match sb.driver_entry() {
        Ok(st) => {
            if st.0 != s.expect_entry() {
                f.fail(
                    sb,
                    0,
                    0,
                    format!("DriverEntry returned {}, expected {}", status_text(st.0), status_text(s.expect_entry())),
                );
            }
            if !st.is_success() {
                // Windows does not call DriverUnload when DriverEntry fails.
                return finish(sb, steps_run, f.count);
            }
        }
        Err(_) => return finish(sb, steps_run, f.count),
    }

    if s.is_default() {
        for (link, _) in sb.symbolic_links() {
            let name = link.rsplit('\\').next().unwrap_or(&link).to_string();
            match sb.open(&format!("\\\\.\\{name}")) {
                Ok(h) => {
                    if sb.close(h).is_err() {
                        return finish(sb, steps_run, f.count);
                    }
                }
                Err(e) if fatal(&e) => return finish(sb, steps_run, f.count),
                Err(_) => {}
            }
        }
        let _ = sb.unload();
        return finish(sb, steps_run, f.count);
    }

    let mut handles: HashMap<String, Handle> = HashMap::new();
    let mut connections: HashMap<String, crate::sandbox::FilterConnection> = HashMap::new();
    let mut requests: HashMap<String, RequestId> = HashMap::new();
    let mut unloaded = false;
    for (i, step) in s.steps.iter().enumerate() {
        if let Some(stop) = sb.stopped() {
            let reason = format!("the run stopped before it: {stop}");
            sb.steps_not_run(s.steps[i..].iter().map(|st| (st.number, st.line, st.kind)), &reason);
            break;
        }
        steps_run += 1;
        sb.begin_step();
        f.unmet.clear();
        let (n, line) = (step.number, step.line);
        let handle = step.handle.as_ref().and_then(|h| handles.get(h).copied());
        let result: Result<(), RunError> = match &step.action {
            Action::Open { path, access } => match sb.open_with(path, *access) {
                Ok(h) => {
                    handles.insert(step.name.clone().expect("opens are named"), h);
                    if let Some(want) = step.expect.status.filter(|w| *w != 0) {
                        f.fail(
                            sb,
                            n,
                            line,
                            format!("expected the open to fail with {}, it succeeded", status_text(want)),
                        );
                    }
                    Ok(())
                }
                Err(RunError::OpenFailed(st)) => {
                    if step.expect.status != Some(st.0) {
                        let want = step.expect.status.unwrap_or(0);
                        f.fail(
                            sb,
                            n,
                            line,
                            format!("open of {path}: expected {}, got {}", status_text(want), status_text(st.0)),
                        );
                    }
                    Ok(())
                }
                Err(e) => Err(e),
            },
            Action::Ioctl { code, input, output, internal, raw } => match handle {
                None => {
                    f.fail(sb, n, line, "its handle is not open (the open failed)".into());
                    Ok(())
                }
                Some(h) => match raw {
                    Some((i, o)) => sb.ioctl_raw(h, *code, *i, *o, *internal),
                    None => sb.ioctl_with(h, *code, input, output.clone(), *internal),
                }
                .map(|r| match &r.completion {
                    None => {
                        if let Some(name) = &step.name {
                            requests.insert(name.clone(), r.id);
                        }
                        if step.expect.pending == Some(false) {
                            f.fail(sb, n, line, "the request was left pending".into());
                        }
                        if let Some(want) = step.expect.status.filter(|w| *w != 0x103) {
                            f.fail(
                                sb,
                                n,
                                line,
                                format!("expected status {}, the request is pending", status_text(want)),
                            );
                        }
                    }
                    Some(c) => {
                        if step.expect.pending == Some(true) {
                            f.fail(
                                sb,
                                n,
                                line,
                                format!(
                                    "expected the request to stay pending; it completed with {}",
                                    status_text(c.status.0)
                                ),
                            );
                        }
                        for m in check_result(&step.expect, c.status, c.information, &c.output) {
                            f.fail(sb, n, line, m);
                        }
                    }
                }),
            },
            Action::Read { .. } | Action::Write { .. } if handle.is_none() => {
                f.fail(sb, n, line, "its handle is not open (the open failed)".into());
                Ok(())
            }
            Action::Read { len, offset } => sb.read(handle.expect("checked"), *len as usize, *offset).map(|r| {
                let (st, info, out) =
                    r.completion.map(|c| (c.status, c.information, c.output)).unwrap_or((NtStatus::PENDING, 0, vec![]));
                for m in check_result(&step.expect, st, info, &out) {
                    f.fail(sb, n, line, m);
                }
            }),
            Action::Write { data, offset } => sb.write(handle.expect("checked"), data, *offset).map(|r| {
                let (st, info) = r.completion.map(|c| (c.status, c.information)).unwrap_or((NtStatus::PENDING, 0));
                for m in check_result(&step.expect, st, info, &[]) {
                    f.fail(sb, n, line, m);
                }
            }),
            Action::Close => match handle {
                Some(h) => {
                    handles.retain(|_, v| *v != h);
                    sb.close(h).map(|_| ())
                }
                None => Ok(()),
            },
            Action::Pending { request } => {
                match requests.get(request).copied().and_then(|id| sb.completion(id)) {
                    Some(c) => {
                        for m in check_result(&step.expect, c.status, c.information, &c.output) {
                            f.fail(sb, n, line, m);
                        }
                    }
                    None => f.fail(sb, n, line, format!("request `{request}` has not completed")),
                }
                Ok(())
            }
            Action::ExpectPort { port, happened } => {
                let rows = sb.port_rows();
                let seen = rows.iter().any(|r| {
                    port.port.is_none_or(|p| r.port == p)
                        && port.write.is_none_or(|w| (r.dir == "out") == w)
                        && port.width.is_none_or(|w| r.width == w)
                        && port.value.is_none_or(|v| r.value == v)
                });
                if seen != *happened {
                    let what = describe_port(port);
                    f.fail(
                        sb,
                        n,
                        line,
                        if *happened {
                            format!("expected {what}; it did not happen")
                        } else {
                            format!("expected no {what}; it happened")
                        },
                    );
                }
                Ok(())
            }
            Action::ExpectMmio { check, happened } => {
                let write = check.dir.map(|d| d == super::physical::MmioDirection::Write);
                let seen = sb.mmio_seen(check.address, write, check.width, check.value);
                if seen != *happened {
                    let what = super::physical::describe_mmio(check);
                    let m = if *happened {
                        format!("expected {what}; it did not happen")
                    } else {
                        format!("expected no {what}; it happened")
                    };
                    f.fail(sb, n, line, m);
                }
                Ok(())
            }
            Action::ExpectPci { check, happened } => {
                let seen = super::physical::pci_seen(sb, check);
                if seen != *happened {
                    let what = super::physical::describe_pci(check);
                    let m = if *happened {
                        format!("expected {what}; it did not happen")
                    } else {
                        format!("expected no {what}; it happened")
                    };
                    f.fail(sb, n, line, m);
                }
                Ok(())
            }
            Action::Registry(op) => op.run(sb).map(|st| {
                if step.expect.status.is_none() && !st.is_success() {
                    f.fail(sb, n, line, format!("the registry operation failed with {}", status_text(st.0)));
                }
                for m in check_result(&step.expect, st, 0, &[]) {
                    f.fail(sb, n, line, m);
                }
            }),
            Action::OpenTask { id, thread, access } => {
                let r = if *thread { sb.open_thread(*id, *access) } else { sb.open_process(*id, *access) };
                r.map(|o| {
                    if step.expect.status.is_none() && !o.status.is_success() {
                        f.fail(sb, n, line, format!("the open failed with {}", status_text(o.status.0)));
                    }
                    for m in check_result(&step.expect, o.status, 0, &[]) {
                        f.fail(sb, n, line, m);
                    }
                    if let Some(want) = step.expect.access.filter(|w| *w != o.granted) {
                        f.fail(sb, n, line, format!("expected access {want:#x} granted, got {:#x}", o.granted));
                    }
                })
            }
            Action::FilterConnect { port, context, reply } => {
                sb.filter_connect(port, context, reply.clone()).map(|(st, c)| {
                    if let Some(c) = c {
                        connections.insert(step.name.clone().expect("connections are named"), c);
                    }
                    if step.expect.status.is_none() && !st.is_success() {
                        f.fail(sb, n, line, format!("the connection failed with {}", status_text(st.0)));
                    }
                    for m in check_result(&step.expect, st, 0, &[]) {
                        f.fail(sb, n, line, m);
                    }
                })
            }
            Action::FilterSend { input, output_len } => {
                match step.handle.as_ref().and_then(|h| connections.get(h).copied()) {
                    None => {
                        f.fail(sb, n, line, "its connection is not open (the connect failed)".into());
                        Ok(())
                    }
                    Some(c) => sb.filter_send(c, input, *output_len).map(|(st, out)| {
                        if step.expect.status.is_none() && !st.is_success() {
                            f.fail(sb, n, line, format!("the message failed with {}", status_text(st.0)));
                        }
                        for m in check_result(&step.expect, st, out.len() as u64, &out) {
                            f.fail(sb, n, line, m);
                        }
                    }),
                }
            }
            Action::FilterDisconnect => match step.handle.as_ref().and_then(|h| connections.remove(h)) {
                None => Ok(()),
                Some(c) => sb.filter_disconnect(c).map(|_| ()),
            },
            Action::Shutdown => sb.shutdown().map(|_| ()),
            Action::Packet { frame } => sb.receive_frame(frame),
            Action::Classify { layer, packet, inbound, verdict } => {
                sb.classify_packet_toward(layer, packet, *inbound).map(|got| {
                    if let Some(want) = verdict.as_deref().filter(|w| *w != got.verdict) {
                        f.fail(sb, n, line, format!("expected the packet {want}; it was {}", got.verdict));
                    }
                })
            }
            Action::PnpStart => sb.pnp_start().map(|_| ()),
            Action::PnpRemove => sb.pnp_remove().map(|_| ()),
            Action::Power(state) => sb.power(state).map(|_| ()),
            Action::Advance { time } => sb.advance(*time),
            Action::WaitIdle { cap } => sb.wait_idle(*cap),
            Action::ProcessStart { name, pid, parent } => match sb.process_start(name, *pid, *parent) {
                Ok(started) => {
                    let denied = started.denied.is_some();
                    if let Some(want) = step.expect.denied.filter(|w| *w != denied) {
                        f.fail(
                            sb,
                            n,
                            line,
                            if want {
                                format!("expected a notify routine to refuse {name}; it started")
                            } else {
                                format!(
                                    "{name} was refused with {}",
                                    status_text(started.denied.map(|s| s.0).unwrap_or(0))
                                )
                            },
                        );
                    }
                    Ok(())
                }
                Err(RunError::Process(m)) => {
                    f.fail(sb, n, line, m);
                    Ok(())
                }
                Err(e) => Err(e),
            },
            Action::ProcessExit { pid, status } => match sb.process_exit(*pid, NtStatus(*status)) {
                Err(RunError::Process(m)) => {
                    f.fail(sb, n, line, m);
                    Ok(())
                }
                r => r,
            },
            Action::Program(p) => super::programs::run(sb, p).map(|unmet| {
                for m in unmet {
                    f.fail(sb, n, line, m);
                }
            }),
            Action::Unload => {
                unloaded = true;
                sb.unload().map(|leaks| match step.expect.leaks {
                    Some(false) if !leaks.is_empty() => f.fail(
                        sb,
                        n,
                        line,
                        format!(
                            "expected no leaks; {} pool block(s), {} device(s), {} link(s) remain",
                            leaks.pool.len(),
                            leaks.devices.len(),
                            leaks.symbolic_links.len()
                        ),
                    ),
                    Some(true) if leaks.is_empty() => f.fail(sb, n, line, "expected leaks; none remain".into()),
                    _ => {}
                })
            }
        };
        // A request the sandbox refused (a buffer over the maximum, a closed handle) fails
        // its step; the machine goes on.
        if let Err(e) = &result {
            if !fatal(e) && sb.stopped().is_none() {
                f.fail(sb, n, line, e.to_string());
            }
        }
        let (outcome, reason) = match &result {
            Err(e) => (StepOutcome::Error, Some(e.to_string())),
            Ok(()) if f.unmet.is_empty() => (StepOutcome::Passed, None),
            Ok(()) => (StepOutcome::Failed, None),
        };
        sb.step_finished(StepResult {
            step: n,
            line,
            action: step.kind,
            outcome,
            unmet: std::mem::take(&mut f.unmet),
            reason,
        });
        if let Err(e) = result {
            if fatal(&e) || sb.stopped().is_some() {
                let reason = format!("step {n} ended the run: {e}");
                sb.steps_not_run(s.steps[i + 1..].iter().map(|st| (st.number, st.line, st.kind)), &reason);
                break;
            }
        }
    }
    // `[[programs]]`: after the steps, in order, while the driver is still loaded.
    for (i, p) in s.programs.iter().enumerate() {
        if sb.stopped().is_some() || unloaded {
            break;
        }
        match super::programs::run(sb, p) {
            Ok(unmet) => {
                for m in unmet {
                    f.fail(sb, 0, 0, format!("[[programs]] {}: {m}", i + 1));
                }
            }
            Err(e) => {
                if !fatal(&e) && sb.stopped().is_none() {
                    f.fail(sb, 0, 0, format!("[[programs]] {}: {e}", i + 1));
                }
                break;
            }
        }
    }
    if !unloaded && s.unload_at_end() && sb.stopped().is_none() {
        let _ = sb.unload();
    }
    finish(sb, steps_run, f.count)
}

/// The expectations that did not hold: in all, and in the step running.
#[derive(Default)]
struct Failures {
    count: usize,
    unmet: Vec<String>,
}

impl Failures {
    fn fail(&mut self, sb: &mut Sandbox, step: usize, line: usize, msg: String) {
        self.count += 1;
        let at = if line > 0 { format!(" (line {line})") } else { String::new() };
        sb.expectation_failed(step, format!("step {step}{at}: {msg}"));
        self.unmet.push(msg);
    }
}

fn describe_port(p: &PortCheck) -> String {
    let dir = match p.write {
        Some(true) => "an out to",
        Some(false) => "an in from",
        None => "an access to",
    };
    let mut s = match p.port {
        Some(port) => format!("{dir} port {port:#x}"),
        None => format!("{dir} any port"),
    };
    if let Some(w) = p.width {
        s.push_str(&format!(" ({w} bytes)"));
    }
    if let Some(v) = p.value {
        s.push_str(&format!(" with value {v:#x}"));
    }
    s
}
