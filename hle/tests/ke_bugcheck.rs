//! KeBugCheck through the real stub, both architectures: the run ends with the code and four
//! zero parameters, traced like KeBugCheckEx.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::*;

use portcullis_hle::exports::Dll;

#[test]
fn kebugcheck_ends_the_run_with_its_code_and_zero_parameters() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let b = bugcheck(fx.call(Dll::Ntoskrnl, "KeBugCheck", &[0xE2]));
        assert_eq!((b.code, b.name, b.params), (0xE2, "MANUALLY_INITIATED_CRASH", [0; 4]), "{arch:?}");
        assert_eq!(b.caller, fx.site);
        assert_eq!(fx.traced_bugchecks(), vec![b]);
        let c = fx.last_call();
        assert_eq!((&*c.name, c.ret), ("KeBugCheck", None));
        assert_eq!(arg(&c, "BugCheckCode"), &ArgValue::Int(0xE2));
    }
}
