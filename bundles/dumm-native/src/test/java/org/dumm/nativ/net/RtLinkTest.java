package org.dumm.nativ.net;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.dumm.api.DummException;
import org.dumm.nativ.Errno;
import org.dumm.nativ.NativeException;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/** rtnetlink and TUN calls against the real kernel, on devices named dmqn&lt;run&gt;*. */
public class RtLinkTest {


    /**
     * Two base-36 characters drawn per test run: device names and groups include them, so two
     * builds running at once (e.g. from two checkouts) never share a device.
     */
    static final int RUN_ID = (int) ((ProcessHandle.current().pid() * 7919 + System.nanoTime()) & 0x7fffffff) % 1296;
    static final String RUN = (RUN_ID < 36 ? "0" : "") + Integer.toString(RUN_ID, 36);

    /** Name of a device of this run: dmqn, run id, suffix. */
    static String n(String suffix) {
        return "dmqn" + RUN + suffix;
    }

    private static final int GROUP = 0x646f0000 + RUN_ID * 4; // far from any group a host or a running Dumm uses
    private RtLink rt;
    private int tapFd = -1;

    @Before
    public void open() {
        rt = RtLink.open();
    }

    @After
    public void cleanUp() {
        if (tapFd >= 0) {
            Tun.close(tapFd);
        }
        for (Link l : rt.list()) {
            if (l.name().startsWith(n(""))) {
                rt.delete(l.index(), "cleaning up " + l.name());
            }
        }
        rt.close();
    }

    @Test
    public void bridgeLifecycleThroughNetlink() throws Exception {
        rt.create(LinkRequest.named(n("0")).kind("bridge").group(GROUP).up(true), "creating bridge " + n("0"));
        rt.change(LinkRequest.named(n("0")).alias("dmqtest:br"), "alias");
        Link br = rt.get(n("0")).orElseThrow();
        assertTrue(br.isBridge());
        assertTrue(br.isUp());
        assertEquals(GROUP, br.group());
        assertEquals("dmqtest:br", br.alias());
        assertEquals(0, br.stpState());
        assertEquals(Files.readString(Path.of("/sys/class/net/" + n("0") + "/bridge/ageing_time")).trim(),
                String.valueOf(br.ageingTime()));
        assertTrue(rt.list("bridge").stream().anyMatch(l -> l.name().equals(n("0"))));
        assertFalse(rt.list("bridge").stream().anyMatch(l -> l.name().equals("lo")));

        rt.change(LinkRequest.of(br.index()).kind("bridge").data(Netlink.IFLA_BR_STP_STATE, 1)
                .data(Netlink.IFLA_BR_AGEING_TIME, 1234), "stp");
        assertEquals("1", Files.readString(Path.of("/sys/class/net/" + n("0") + "/bridge/stp_state")).trim());
        assertEquals("1234", Files.readString(Path.of("/sys/class/net/" + n("0") + "/bridge/ageing_time")).trim());

        tapFd = Tun.createTap(n("1"));
        Link tap = rt.get(n("1")).orElseThrow();
        assertTrue(tap.isTap());
        rt.change(LinkRequest.of(tap.index()).master(br.index()), "attach");
        assertEquals(List.of(n("1")), rt.ports(br.index()).stream().map(Link::name).toList());
        rt.change(LinkRequest.of(tap.index()).master(0), "detach");
        assertTrue(rt.ports(br.index()).isEmpty());

        rt.deleteGroup(GROUP, "deleting group");
        assertTrue(rt.get(n("0")).isEmpty());
        assertTrue(rt.get(n("1")).isPresent());
    }

    @Test
    public void kernelErrorsCarryErrnoAndText() {
        rt.create(LinkRequest.named(n("2")).kind("bridge"), "creating bridge " + n("2"));
        try {
            rt.create(LinkRequest.named(n("2")).kind("bridge"), "creating bridge " + n("2"));
            fail("created a duplicate");
        } catch (NativeException e) {
            assertEquals(Errno.EEXIST, e.errno());
            assertEquals(DummException.Reason.ALREADY_EXISTS, e.reason());
            assertTrue(e.getMessage(), e.getMessage().startsWith("creating bridge " + n("2") + ": EEXIST (File exists"));
        }
        try {
            rt.create(LinkRequest.named(n("3")).kind("dmq-no-such-kind"), "creating " + n("3"));
            fail("created a device of an unknown kind");
        } catch (NativeException e) {
            assertEquals(Errno.EOPNOTSUPP, e.errno());
            // the extended ack carries the kernel's own explanation
            assertTrue(e.getMessage(), e.getMessage().contains("kernel says: Unknown device type"));
        }
        try {
            rt.change(LinkRequest.named(n("-missing")).up(true), "setting " + n("-missing") + " up");
            fail("changed a missing device");
        } catch (NativeException e) {
            assertEquals(Errno.ENODEV, e.errno());
            assertEquals(DummException.Reason.NOT_FOUND, e.reason());
        }
        assertTrue(rt.get(n("-missing")).isEmpty());
    }

    @Test
    public void tapExistsOnlyWhileItsDescriptorIsOpenUnlessPersistent() {
        tapFd = Tun.createTap(n("4"));
        assertTrue(rt.get(n("4")).orElseThrow().isTap());
        try {
            Tun.createTap(n("4"));
            fail("TUNSETIFF attached to an existing device");
        } catch (NativeException e) {
            assertEquals(DummException.Reason.ALREADY_EXISTS, e.reason());
        }
        Tun.close(tapFd);
        tapFd = -1;
        assertTrue(rt.get(n("4")).isEmpty());

        int fd = Tun.createTap(n("5"));
        Tun.setPersist(fd, true, n("5"));
        Tun.close(fd);
        assertTrue(rt.get(n("5")).isPresent()); // removed by cleanUp
    }

    @Test
    public void batchedChangesReportEachResult() {
        rt.create(LinkRequest.named(n("6")).kind("bridge"), "creating bridge " + n("6"));
        int index = rt.get(n("6")).orElseThrow().index();
        List<NativeException> r = rt.changeAll(List.of(LinkRequest.of(index).group(GROUP),
                LinkRequest.named(n("-missing")).group(GROUP), LinkRequest.of(index).alias("dmqtest:b")), i -> "change " + i);
        assertEquals(3, r.size());
        assertEquals(null, r.get(0));
        assertEquals(Errno.ENODEV, r.get(1).errno());
        assertEquals(null, r.get(2));
        assertEquals("dmqtest:b", rt.get(n("6")).orElseThrow().alias());

        List<String> names = new java.util.ArrayList<>();
        for (int i = 0; i < 40; i++) { // more than one system call's worth of lookups
            names.add(i % 2 == 0 ? n("6") : n("-none" + i));
        }
        List<java.util.Optional<Link>> found = rt.getAll(names);
        assertEquals(40, found.size());
        for (int i = 0; i < 40; i++) {
            assertEquals(names.get(i), i % 2 == 0, found.get(i).isPresent());
            found.get(i).ifPresent(l -> assertEquals(index, l.index()));
        }
        RtLink.Snapshot all = rt.snapshot();
        assertTrue(all.links().stream().anyMatch(l -> l.index() == index));
        assertTrue(all.links().stream().anyMatch(l -> l.name().equals("lo")));
    }
}
