//! The machine's chips seen from the command line: speaker tones in the report, the VCD
//! waveform (parsed back), the SVG timeline, the WAV file, serial output, printed bytes and
//! a reset ending the run.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_portcullis"))
}

fn corpus(name: &str, arch: &str) -> String {
    format!("{}/corpus/{name}/{name}.{arch}.sys", env!("CARGO_MANIFEST_DIR"))
}

fn scenario(rel: &str) -> String {
    format!("{}/corpus/{rel}", env!("CARGO_MANIFEST_DIR"))
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("portcullis-devices-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&o.stdout)))
}

/// (time, value) changes by the signal's full path ("portcullis.ports.port_0043").
type Changes = BTreeMap<String, Vec<(u64, String)>>;

/// The timescale and every value change of the VCD at `path`.
fn vcd_changes(path: &PathBuf) -> (Option<(u32, vcd::TimescaleUnit)>, Changes) {
    let mut p = vcd::Parser::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let header = p.parse_header().unwrap();
    let mut names = BTreeMap::new();
    fn walk(items: &[vcd::ScopeItem], prefix: &str, names: &mut BTreeMap<vcd::IdCode, String>) {
        for item in items {
            match item {
                vcd::ScopeItem::Scope(s) => walk(&s.items, &format!("{prefix}{}.", s.identifier), names),
                vcd::ScopeItem::Var(v) => {
                    names.insert(v.code, format!("{prefix}{}", v.reference));
                }
                _ => {}
            }
        }
    }
    walk(&header.items, "", &mut names);
    let mut changes = Changes::new();
    let mut now = 0;
    for c in p {
        match c.unwrap() {
            vcd::Command::Timestamp(t) => now = t,
            vcd::Command::ChangeScalar(id, v) => {
                changes.entry(names[&id].clone()).or_default().push((now, v.to_string()))
            }
            vcd::Command::ChangeVector(id, v) => {
                changes.entry(names[&id].clone()).or_default().push((now, v.to_string()))
            }
            _ => {}
        }
    }
    (header.timescale, changes)
}

fn bits(s: &str) -> u32 {
    u32::from_str_radix(s, 2).unwrap()
}

#[test]
fn the_beeper_plays_tones_drawn_as_a_waveform_a_picture_and_sound() {
    for arch in ["x86", "x64"] {
        let dir = temp(&format!("beeper-{arch}"));
        let (vcd, svg, wav) = (dir.join("b.vcd"), dir.join("b.svg"), dir.join("b.wav"));
        let o = run(&[
            "run",
            &corpus("beeper", arch),
            "--scenario",
            &scenario("beeper/beeper.toml"),
            "--format",
            "json",
            "--vcd",
            vcd.to_str().unwrap(),
            "--timeline",
            svg.to_str().unwrap(),
            "--wav",
            wav.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0));
        let r = json(&o);
        let hz: Vec<u64> = r["devices"]["tones"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["hz"].as_f64().unwrap().round() as u64)
            .collect();
        assert_eq!(hz, [881, 440, 523, 659], "the chirp, the beep, the tune's two notes");
        let ms = r["devices"]["tones"][0]["duration_ns"].as_u64().unwrap() / 1_000_000;
        assert_eq!(ms, 50);

        let (timescale, changes) = vcd_changes(&vcd);
        assert_eq!(timescale, Some((1, vcd::TimescaleUnit::NS)));
        let control = &changes["portcullis.ports.port_0043"];
        assert!(control.iter().any(|(_, v)| bits(v) == 0xB6), "{control:?}");
        let speaker = &changes["portcullis.speaker.out"];
        // 50 ms at 880 Hz: 88 edges, then the beep's and the tune's.
        assert!((100..130).contains(&speaker.len()), "{} speaker changes", speaker.len());
        let hz_changes: Vec<u32> = changes["portcullis.speaker.hz"].iter().map(|(_, v)| bits(v)).collect();
        assert!(hz_changes.contains(&881) && hz_changes.contains(&659), "{hz_changes:?}");
        // Times are the virtual clock's: the chirp starts ten seconds after boot.
        assert!(speaker[1].0 >= 10_000_000_000, "{:?}", speaker[1]);

        let picture = std::fs::read_to_string(&svg).unwrap();
        assert!(picture.starts_with("<svg"), "{}", &picture[..40.min(picture.len())]);
        assert!(picture.contains("881 Hz") && picture.contains("0x0061"));

        let w = hound::WavReader::open(&wav).unwrap();
        assert_eq!(w.spec().sample_rate, 44_100);
        let seconds = w.duration() as f64 / 44_100.0;
        assert!((0.07..0.08).contains(&seconds), "{seconds} s of sound");
    }
}

#[test]
fn waveforms_are_byte_for_byte_repeatable() {
    let dir = temp("repeat");
    let out = |n: &str| {
        let f = dir.join(n);
        let o = run(&[
            "run",
            "-q",
            &corpus("lptprint", "x64"),
            "--scenario",
            &scenario("lptprint/lptprint.toml"),
            "--vcd",
            f.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0));
        std::fs::read(f).unwrap()
    };
    assert_eq!(out("a.vcd"), out("b.vcd"));
}

#[test]
fn the_printer_handshake_shows_as_lines_and_the_bytes_are_reported() {
    for arch in ["x86", "x64"] {
        let dir = temp(&format!("lpt-{arch}"));
        let vcd = dir.join("l.vcd");
        let o = run(&[
            "run",
            &corpus("lptprint", arch),
            "--scenario",
            &scenario("lptprint/lptprint.toml"),
            "--format",
            "json",
            "--vcd",
            vcd.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0));
        let r = json(&o);
        assert_eq!(r["devices"]["printed"][0]["text"], "Hello, printer\n");
        let (_, changes) = vcd_changes(&vcd);
        let strobe = &changes["portcullis.lpt_378.nstrobe"];
        let pulses = strobe.windows(2).filter(|w| w[0].1 == "1" && w[1].1 == "0").count();
        assert_eq!(pulses, 15, "one strobe (nSTROBE low) per byte");
        let busy = &changes["portcullis.lpt_378.busy"];
        assert!(busy.iter().any(|(_, v)| v == "1") && busy.iter().any(|(_, v)| v == "0"));
        assert!(changes["portcullis.lpt_378.nack"].iter().any(|(_, v)| v == "0"), "an ACK pulse was seen");
    }
}

#[test]
fn serial_output_goes_to_the_report_and_to_a_file() {
    let dir = temp("serial");
    let file = dir.join("com.txt");
    let o = run(&[
        "run",
        &corpus("uartloop", "x64"),
        "--scenario",
        &scenario("uartloop/uartloop.toml"),
        "--format",
        "json",
        "--serial-out",
        file.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(json(&o)["devices"]["serial"][0]["text"], "hello\r\n");
    assert_eq!(std::fs::read(file).unwrap(), b"hello\r\n");
}

#[test]
fn a_reset_ends_the_run_and_is_reported() {
    let o = run(&["run", &corpus("rawio", "x86"), "--scenario", &scenario("rawio/reset.toml"), "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "the scenario expects the reset");
    let r = json(&o);
    assert_eq!(r["outcome"], "reset");
    assert_eq!(r["devices"]["reset"]["port"], 0x64);
    assert_eq!(r["devices"]["post_codes"][0]["value"], 0x55);
    // Without the expectation, a reset is a failure (exit 1).
    let text = std::fs::read_to_string(scenario("rawio/reset.toml")).unwrap().replace("expect_outcome = \"reset\"", "");
    let file = temp("reset").join("reset.toml");
    std::fs::write(&file, text).unwrap();
    let o = run(&["run", &corpus("rawio", "x86"), "--scenario", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("outcome: reset"));
}
