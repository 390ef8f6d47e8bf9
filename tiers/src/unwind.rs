//! Unwind information for compiled code, registered with the system
//! unwinder. cranelift-jit registers none, so without this a backtrace —
//! a panic's, `std::backtrace`, or the `pprof` crate's sampler — stops at
//! the first JIT frame. Each compiled function gets its own `.eh_frame`
//! (CIE + FDE, written with gimli) handed to libgcc's `__register_frame`;
//! it is deregistered before the module's memory is freed.

use cranelift_codegen::gimli::write::{Address, EhFrame, EndianVec, FrameTable};
use cranelift_codegen::gimli::RunTimeEndian;
use cranelift_codegen::isa::unwind::UnwindInfo;
use cranelift_codegen::isa::TargetIsa;

/// The `.eh_frame` sections registered for one module's code.
#[derive(Default)]
pub struct Registrations {
    frames: Vec<Box<[u8]>>,
}

#[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
extern "C" {
    // libgcc's (and LLVM libunwind's, for a whole section) registration
    // entry points; std on linux-gnu links libgcc_s.
    fn __register_frame(begin: *const u8);
    fn __deregister_frame(begin: *const u8);
}

impl Registrations {
    /// Registers the unwind info of the function at `address`. Anything
    /// that cannot be described is skipped: unwinding through it stops
    /// there, as it did before, and the code itself is unaffected.
    pub fn register(&mut self, isa: &dyn TargetIsa, info: Option<&UnwindInfo>, address: usize) {
        let Some(UnwindInfo::SystemV(info)) = info else { return };
        let Some(cie) = isa.create_systemv_cie() else { return };
        let mut table = FrameTable::default();
        let cie_id = table.add_cie(cie);
        table.add_fde(cie_id, info.to_fde(Address::Constant(address as u64)));
        let endian = if isa.triple().endianness() == Ok(target_lexicon::Endianness::Big) {
            RunTimeEndian::Big
        } else {
            RunTimeEndian::Little
        };
        let mut eh = EhFrame(EndianVec::new(endian));
        if table.write_eh_frame(&mut eh).is_err() {
            return;
        }
        let mut bytes = eh.0.into_vec();
        // A zero length word ends the section for libgcc's walker.
        bytes.extend_from_slice(&[0, 0, 0, 0]);
        let bytes = bytes.into_boxed_slice();
        #[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
        {
            // SAFETY: a well-formed, terminated .eh_frame that stays alive
            // (boxed, owned here) until `deregister_all`.
            unsafe { __register_frame(bytes.as_ptr()) };
            self.frames.push(bytes);
        }
        #[cfg(not(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64"))))]
        drop(bytes);
    }

    pub fn len(&self) -> usize {
        self.frames.len()
    }

    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// Deregisters everything; call before the code's memory is freed.
    pub fn deregister_all(&mut self) {
        for f in self.frames.drain(..) {
            #[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
            // SAFETY: registered by `register` with this same pointer.
            unsafe {
                __deregister_frame(f.as_ptr())
            };
            drop(f);
        }
    }
}

impl Drop for Registrations {
    fn drop(&mut self) {
        self.deregister_all();
    }
}
