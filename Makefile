# Portcullis. `make demo` and `make test` are all a fresh Debian/Ubuntu machine with Rust
# needs: they install what is missing first (through apt-get when run as root).

CARGO ?= cargo

.PHONY: demo test bench corpus fuzz prerequisites prerequisites-mingw build lint clean

prerequisites:
	@scripts/prerequisites.sh

prerequisites-mingw:
	@scripts/prerequisites.sh --mingw

build: prerequisites
	$(CARGO) build --release

# The demo: the beeper driver programs the PC speaker through the PIT; the port trace shows it.
demo: build
	@echo
	@echo "== portcullis run corpus/beeper/beeper.x64.sys --scenario corpus/beeper/beeper.toml"
	@target/release/portcullis run corpus/beeper/beeper.x64.sys --scenario corpus/beeper/beeper.toml

test: prerequisites
	$(CARGO) test --workspace

bench: prerequisites
	$(CARGO) bench --bench figures

# Fuzzing (fuzz/): the PE loader, the scenario parser, and IOCTLs through the Sandbox API, each
# for FUZZ_SECONDS, with libFuzzer under cargo fuzz (nightly; both installed when missing).
# Seeds: the corpus's own drivers and scenarios; what the fuzzer finds stays in target/fuzz/.
FUZZ_SECONDS ?= 60
FUZZ_RUNS ?=
FUZZ_TARGETS ?= pe_loader scenario ioctl
fuzz: prerequisites
	@FUZZ_RUNS=$(FUZZ_RUNS) scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# Rebuilds the corpus drivers (needs mingw-w64: `make prerequisites-mingw`).
corpus:
	corpus/build.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

clean:
	$(CARGO) clean
