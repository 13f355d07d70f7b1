package org.dumm.unionfs.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.dumm.api.spi.LayerStack;

/**
 * Benchmark, not a test: cost of mount, switchStack (each mode) and unmount on this host.
 * Run: java -cp target/classes:target/test-classes:<deps> org.dumm.unionfs.internal.SwitchBench [rounds]
 */
public final class SwitchBench {

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        Path base = Files.createTempDirectory(Path.of("/tmp"), "dmu-bench-").toRealPath();
        OverlayUnionFs fs = new OverlayUnionFs();
        try {
            Path master = Files.createDirectories(base.resolve("master"));
            Files.writeString(master.resolve("f"), "m");
            Path diff = Files.createDirectories(base.resolve("diff"));
            Path tpl = Files.createDirectories(base.resolve("tpl"));
            Path workBase = base.resolve("work");
            Path union = base.resolve("union");
            long[] mount = new long[rounds];
            long[] unmount = new long[rounds];
            for (int i = 0; i < rounds; i++) {
                long t = System.nanoTime();
                fs.mount(new LayerStack(List.of(master), diff, workBase.resolve("0")), union);
                mount[i] = System.nanoTime() - t;
                t = System.nanoTime();
                fs.unmount(union);
                unmount[i] = System.nanoTime() - t;
            }
            report("mount", mount);
            report("unmount (not busy)", unmount);
            for (OverlayUnionFs.SwitchMode mode : OverlayUnionFs.SwitchMode.values()) {
                if (mode == OverlayUnionFs.SwitchMode.AUTO) {
                    continue;
                }
                fs.switchMode(mode);
                fs.mount(new LayerStack(List.of(master), diff, workBase.resolve("0")), union);
                long[] sw = new long[rounds];
                int gen = 1;
                for (int i = 0; i < rounds; i++) {
                    boolean load = i % 2 == 0;
                    LayerStack next = load
                            ? new LayerStack(List.of(diff, master), tpl, workBase.resolve(Integer.toString(gen++)))
                            : new LayerStack(List.of(master), diff, workBase.resolve(Integer.toString(gen++)));
                    long t = System.nanoTime();
                    fs.switchStack(union, next);
                    sw[i] = System.nanoTime() - t;
                }
                report("switchStack " + mode + " (old stack not busy)", sw);
                // the same with every old stack busy: a file of it held open, as a guest would
                List<java.nio.channels.FileChannel> held = new ArrayList<>();
                for (int i = 0; i < rounds; i++) {
                    held.add(java.nio.channels.FileChannel.open(union.resolve("f")));
                    boolean load = i % 2 == 0;
                    LayerStack next = load
                            ? new LayerStack(List.of(diff, master), tpl, workBase.resolve(Integer.toString(gen++)))
                            : new LayerStack(List.of(master), diff, workBase.resolve(Integer.toString(gen++)));
                    long t = System.nanoTime();
                    fs.switchStack(union, next);
                    sw[i] = System.nanoTime() - t;
                }
                report("switchStack " + mode + " (old stack busy)", sw);
                for (var c : held) {
                    c.close();
                }
                fs.unmount(union);
            }
        } finally {
            for (Path m : fs.mountsUnder(base)) {
                fs.unmount(m);
            }
            Dirs.deleteTree(base);
        }
    }

    private static void report(String what, long[] nanos) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        List<String> parts = new ArrayList<>();
        for (double q : new double[] {0.5, 0.9, 0.99}) {
            parts.add(String.format("p%d %.3f ms", (int) (q * 100), s[(int) Math.min(s.length - 1, q * s.length)] / 1e6));
        }
        System.out.printf("%-45s n=%d first %.3f ms  %s%n", what, s.length, nanos[0] / 1e6, String.join("  ", parts));
    }
}
