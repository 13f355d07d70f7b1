package org.dumm.core.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.dumm.api.GuestDefinition;
import org.dumm.api.GuestState;
import org.dumm.api.Transport;
import org.dumm.nativ.net.DeviceMarker;
import org.dumm.netns.internal.NetnsBackend;
import org.junit.After;
import org.junit.Assume;
import org.junit.Before;
import org.junit.Test;

/**
 * Many netns guests on one bridge, created, started in parallel and exec-ready, with the times
 * printed: {@code -Ddumm.test.netnsGuests=100} (skipped unless set, as it makes that many
 * namespaces, veths and mounts). Names start with {@code dmns}.
 */
public class NetnsScaleTest {

    private static final int GUESTS = Integer.getInteger("dumm.test.netnsGuests", 0);
    private MeshFixture fx;
    private NetnsBackend netns;

    @Before
    public void setUp() throws Exception {
        Assume.assumeTrue("set -Ddumm.test.netnsGuests=N to run", GUESTS > 0);
        fx = new MeshFixture("dmns", new DeviceMarker("dmnstest:", 3942));
        netns = new NetnsBackend(fx.veths);
        fx.restartWith(netns);
    }

    @After
    public void tearDown() {
        if (fx == null) {
            return;
        }
        long t0 = System.nanoTime();
        try {
            fx.close();
        } finally {
            netns.deactivate();
            System.out.printf("netns scale: %d guests deleted in %d ms%n", GUESTS, (System.nanoTime() - t0) / 1_000_000);
        }
    }

    @Test
    public void guestsStartInParallelAndAllAnswer() {
        MeshManager mesh = fx.mesh;
        long t0 = System.nanoTime();
        mesh.createBridge("dmnsbr");
        List<String> names = new ArrayList<>();
        for (int i = 0; i < GUESTS; i++) {
            String n = "dmns" + i;
            names.add(n);
            mesh.createGuest(new GuestDefinition(n, NetnsBackend.NAME, null, null, 32, List.of()));
            mesh.addInterface(n, "eth0", "dmnsbr", null, Transport.TUNTAP);
        }
        long created = System.nanoTime();
        Map<String, String> failures = mesh.startGuests(names, m -> { });
        long started = System.nanoTime();
        assertEquals(Map.of(), failures);
        for (String n : names) {
            assertEquals(GuestState.RUNNING, mesh.guest(n).orElseThrow().state());
        }
        long[] rtt = new long[200];
        for (int i = 0; i < rtt.length; i++) {
            long s = System.nanoTime();
            assertEquals(0, mesh.exec(names.get(i % names.size()), "true", Duration.ofSeconds(10)).exitStatus());
            rtt[i] = System.nanoTime() - s;
        }
        java.util.Arrays.sort(rtt);
        System.out.printf("netns scale: %d guests created in %d ms, started (exec-ready) in %d ms; exec p50 %.2f ms%n",
                GUESTS, (created - t0) / 1_000_000, (started - created) / 1_000_000, rtt[rtt.length / 2] / 1e6);
        assertTrue(rtt[rtt.length / 2] > 0);
    }
}
