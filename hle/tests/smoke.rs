use portcullis_emu::{Arch, Event, MachineConfig};
use portcullis_hle::kernel::{Kernel, KernelEvent, KernelOptions};
#[test]
fn smoke() {
    for (arch, suffix) in [(Arch::X64, "x64"), (Arch::X86, "x86")] {
        let mut k = Kernel::boot(MachineConfig::new(arch), KernelOptions::default()).unwrap();
        let bytes =
            std::fs::read(format!("{}/../corpus/halports/halports.{suffix}.sys", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let d = portcullis_hle::loader::load(&mut k, "halports", &bytes).unwrap();
        let r = portcullis_hle::driver::call_entry(&mut k, d);
        println!("{arch:?} entry -> {r:?}");
        for e in k.guest().trace.events() {
            match e {
                Event::Ext(KernelEvent::Call(c)) => {
                    println!("  call {}({:?}) -> {:?} from {:#x}", c.name, c.args, c.ret, c.caller)
                }
                Event::Ext(KernelEvent::Debug(d)) => println!("  dbg {:?}", d.text),
                Event::Port(p) => println!("  port {:?}", p),
                other => println!("  {other:?}"),
            }
        }
        let (h, r) = portcullis_hle::io::request::open(&mut k, "\\\\.\\HalPorts").unwrap();
        println!("open {h:?} {r:?}");
    }
}
