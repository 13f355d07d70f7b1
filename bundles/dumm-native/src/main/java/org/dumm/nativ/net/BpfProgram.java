package org.dumm.nativ.net;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * A classic BPF program ({@code struct sock_filter} instructions, 8 bytes each) for
 * {@link PacketSocket}, compiled from a tcpdump filter expression by libpcap's own compiler
 * ({@code pcap_compile} on a dead handle of Ethernet link type: no device is opened). libpcap
 * is loaded when the first expression is compiled; without it filters are refused with a clear
 * error and captures without one still work.
 */
public record BpfProgram(String expression, int length, byte[] instructions) {

    private static final int DLT_EN10MB = 1;
    private static final int SNAPLEN = 262144;
    private static final int PCAP_NETMASK_UNKNOWN = 0xffffffff;

    /** The libpcap functions used. Public because jnr-ffi implements it with a generated class. */
    public interface LibPcap {
        Pointer pcap_open_dead(int linktype, int snaplen);
        int pcap_compile(Pointer p, Pointer program, String expression, int optimize, int netmask);
        String pcap_geterr(Pointer p);
        void pcap_freecode(Pointer program);
        void pcap_close(Pointer p);
    }

    private static final class Holder {
        static final LibPcap PCAP = load();

        private static LibPcap load() {
            for (String name : new String[] {"pcap", "libpcap.so.1", "libpcap.so.0.8"}) {
                try {
                    return LibraryLoader.create(LibPcap.class).failImmediately().load(name);
                } catch (LinkageError | RuntimeException e) {
                    // try the next name: Debian's runtime package has only the versioned one
                }
            }
            return null;
        }
    }

    /** Compiles {@code expression}; INVALID_ARGUMENT with libpcap's message when it is not one. */
    public static BpfProgram compile(String expression) {
        LibPcap pcap = Holder.PCAP;
        if (pcap == null) {
            throw new DummException(Reason.INVALID_STATE, "capture filters need libpcap (Debian: libpcap0.8), not found");
        }
        Pointer handle = pcap.pcap_open_dead(DLT_EN10MB, SNAPLEN);
        if (handle == null) {
            throw new DummException(Reason.HOST_ERROR, "pcap_open_dead failed");
        }
        try {
            // struct bpf_program { u_int bf_len; struct bpf_insn *bf_insns; }
            Pointer prog = jnr.ffi.Memory.allocateDirect(Runtime.getRuntime(pcap), 16, true);
            if (pcap.pcap_compile(handle, prog, expression, 1, PCAP_NETMASK_UNKNOWN) != 0) {
                throw new DummException(Reason.INVALID_ARGUMENT, "bad capture filter '" + expression + "': "
                        + pcap.pcap_geterr(handle));
            }
            try {
                int n = prog.getInt(0);
                Pointer insns = prog.getPointer(8);
                byte[] code = new byte[n * 8];
                insns.get(0, code, 0, code.length);
                return new BpfProgram(expression, n, code);
            } finally {
                pcap.pcap_freecode(prog);
            }
        } finally {
            pcap.pcap_close(handle);
        }
    }
}
