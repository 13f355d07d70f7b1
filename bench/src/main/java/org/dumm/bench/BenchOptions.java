package org.dumm.bench;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The bench's command line: what to run, how often, where the report goes. */
final class BenchOptions {

    /** Memory of the bare guests: as much as the mesh gives Dumm's by default. */
    static final int MEMORY_MB = 64;
    /** The TCP item's guests, both sides: see {@link #iperfMemoryMb}. */
    static final int IPERF_MEMORY_MB = 128;
    /** Enough connect+disconnect cycles for the JIT to have compiled the connect's code (C1 compiles after ~200 calls). */
    static final int CONNECT_WARMUP = 300;
    /** This JVM's options, for the report: Dumm's code runs here, so they are Dumm's for the run. */
    static final List<String> JVM_OPTIONS = ManagementFactory.getRuntimeMXBean().getInputArguments();

    boolean quick;
    int guests = -1;
    int bootReps = -1;
    int execSamples = -1;
    int connectSamples = -1;
    int connectWarmup = -1;
    int rounds = -1;
    Boolean iperf;
    int iperfSeconds = 5;
    /**
     * Memory of the throughput item's guests (both sides). Not 64 MB: a 64 MB guest kernel
     * sizes its TCP memory from its RAM (tcp_mem pressure at ~3.2 MB, tcp_rmem max 416 KB)
     * and one iperf3 stream then drops and retransmits; that measures the guest's memory,
     * not the transport (vector 3.5-3.7 Gbit/s at 64 MB, 4.7-5.0 at 128 MB, measured).
     */
    int iperfMemoryMb = IPERF_MEMORY_MB;
    boolean karaf = true;
    int karafFirstStarts;
    Path out = Path.of("target/bench");
    Path assembly;
    String only;
    int startConcurrency;
    int settleMs = 50;
    boolean pinGuests = true;

    static BenchOptions parse(String[] args) {
        BenchOptions o = new BenchOptions();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--quick" -> o.quick = true;
                case "--guests" -> o.guests = Integer.parseInt(value(args, ++i, a));
                case "--boot-reps" -> o.bootReps = Integer.parseInt(value(args, ++i, a));
                case "--exec-samples" -> o.execSamples = Integer.parseInt(value(args, ++i, a));
                case "--connect-samples" -> o.connectSamples = Integer.parseInt(value(args, ++i, a));
                case "--connect-warmup" -> o.connectWarmup = Integer.parseInt(value(args, ++i, a));
                case "--rounds" -> o.rounds = Integer.parseInt(value(args, ++i, a));
                case "--iperf" -> o.iperf = true;
                case "--no-iperf" -> o.iperf = false;
                case "--iperf-seconds" -> o.iperfSeconds = Integer.parseInt(value(args, ++i, a));
                case "--iperf-memory" -> o.iperfMemoryMb = Integer.parseInt(value(args, ++i, a));
                case "--no-karaf" -> o.karaf = false;
                case "--karaf-first-starts" -> o.karafFirstStarts = Integer.parseInt(value(args, ++i, a));
                case "--out" -> o.out = Path.of(value(args, ++i, a));
                case "--assembly" -> o.assembly = Path.of(value(args, ++i, a));
                case "--only" -> o.only = value(args, ++i, a);
                case "--start-concurrency" -> o.startConcurrency = Integer.parseInt(value(args, ++i, a));
                case "--settle-ms" -> o.settleMs = Integer.parseInt(value(args, ++i, a));
                case "--no-pin" -> o.pinGuests = false;
                case "-h", "--help" -> {
                    usage();
                    System.exit(0);
                }
                default -> {
                    System.err.println("bench: unknown option " + a);
                    usage();
                    System.exit(2);
                }
            }
        }
        if (o.guests < 0) {
            o.guests = o.quick ? 10 : 50;
        }
        if (o.guests < 1 || o.guests > 999) {
            System.err.println("bench: --guests must be 1..999");
            System.exit(2);
        }
        o.bootReps = o.bootReps > 0 ? o.bootReps : o.quick ? 3 : 7;
        o.execSamples = o.execSamples > 0 ? o.execSamples : o.quick ? 100 : 500;
        // Dumm names interfaces eth0 … eth99 and the guest keeps eth0 free: at most 99 on one guest
        o.connectSamples = Math.min(99, o.connectSamples > 0 ? o.connectSamples : o.quick ? 20 : 90);
        o.connectWarmup = o.connectWarmup >= 0 ? o.connectWarmup : CONNECT_WARMUP;
        o.rounds = o.rounds > 0 ? o.rounds : o.quick ? 1 : 2;
        o.karafFirstStarts = o.karafFirstStarts > 0 ? o.karafFirstStarts : defaultKarafFirstStarts(o.quick);
        if (o.iperf == null) {
            o.iperf = !o.quick;
        }
        return o;
    }

    static int defaultKarafFirstStarts(boolean quick) {
        return quick ? 1 : 3;
    }

    /** Whether item {@code item} ("1" … "13") is to run: all are unless {@code --only} names others. */
    boolean wants(String item) {
        return only == null || List.of(only.split(",")).contains(item);
    }

    /** The options as report.json's {@code options} section records them. */
    Map<String, Object> asJson() {
        Map<String, Object> options = new LinkedHashMap<>();
        options.put("quick", quick);
        options.put("guests", guests);
        options.put("boot_reps", bootReps);
        options.put("exec_samples", execSamples);
        options.put("connect_samples", connectSamples);
        options.put("connect_warmup", connectWarmup);
        options.put("rounds", rounds);
        options.put("iperf", iperf);
        options.put("iperf_memory_mb", iperfMemoryMb);
        options.put("karaf", karaf);
        options.put("start_concurrency", startConcurrency);
        options.put("settle_ms", settleMs);
        options.put("pin_guests", pinGuests);
        // ./dumm bench passes Karaf's JIT setting (bin/setenv); a bare `java -jar` does not
        options.put("jvm_options", JVM_OPTIONS);
        return options;
    }

    /** The command line as report.md quotes it: the options that shape the run and differ from their defaults. */
    List<String> commandLine() {
        List<String> a = new ArrayList<>();
        if (quick) {
            a.add("--quick");
        }
        a.add("--guests");
        a.add(Integer.toString(guests));
        if (only != null) {
            a.add("--only");
            a.add(only);
        }
        if (iperfMemoryMb != IPERF_MEMORY_MB) {
            a.add("--iperf-memory");
            a.add(Integer.toString(iperfMemoryMb));
        }
        if (startConcurrency != 0) {
            a.add("--start-concurrency");
            a.add(Integer.toString(startConcurrency));
        }
        if (connectWarmup != CONNECT_WARMUP) {
            a.add("--connect-warmup");
            a.add(Integer.toString(connectWarmup));
        }
        if (karafFirstStarts != defaultKarafFirstStarts(quick)) {
            a.add("--karaf-first-starts");
            a.add(Integer.toString(karafFirstStarts));
        }
        return a;
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            System.err.println("bench: " + option + " needs a value");
            System.exit(2);
        }
        return args[i];
    }

    static void usage() {
        System.err.println("""
                usage: ./dumm bench [--quick] [--guests N] [options]
                  --quick              10 guests, fewer repetitions, no iperf (about 3 minutes)
                  --guests N           guests started at once (default 50; e.g. 100, 200)
                  --boot-reps R        single-guest boots per side (default 7, quick 3)
                  --exec-samples S     exec round trips per side (default 500, quick 100)
                  --connect-samples C  interface connects per side and series (default 90, quick 20; at most 99)
                  --connect-warmup W   connect+disconnect cycles before the warm connect series (default 300)
                  --rounds R           N-guest rounds per side, ABBA order (default 2, quick 1)
                  --iperf | --no-iperf guest-to-guest TCP throughput (default: on, off with --quick)
                  --iperf-seconds T    length of each iperf3 run (default 5)
                  --iperf-memory MB    memory of the two iperf3 guests, both sides (default 128)
                  --no-karaf           skip Karaf start / RSS
                  --karaf-first-starts F  fresh Karaf instances started, median reported (default 3, quick 1)
                  --assembly TGZ       Karaf distribution (default karaf-assembly/target/dumm-karaf-*.tar.gz)
                  --only LIST          items to run, e.g. 1,3,4 (default all)
                  --start-concurrency K  Dumm's bulk-start concurrency (default 0: the product's default)
                  --settle-ms T        idle time before each interleaved exec/connect sample (default 50)
                  --no-pin             Dumm's guests not pinned to one CPU each (pinGuests=false)
                  --out DIR            report directory (default target/bench)""");
    }
}
