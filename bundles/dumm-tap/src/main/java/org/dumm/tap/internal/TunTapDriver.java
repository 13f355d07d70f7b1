package org.dumm.tap.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.dumm.api.DummConfig;
import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.spi.TapDriver;
import org.dumm.nativ.Errno;
import org.dumm.nativ.NativeException;
import org.dumm.nativ.net.DeviceMarker;
import org.dumm.nativ.net.GroupDelete;
import org.dumm.nativ.net.IfNames;
import org.dumm.nativ.net.Link;
import org.dumm.nativ.net.LinkRequest;
import org.dumm.nativ.net.MacAddress;
import org.dumm.nativ.net.RtLink;
import org.dumm.nativ.net.Tun;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;

/**
 * {@link TapDriver} in-process: {@code /dev/net/tun} ioctls create the TAP, rtnetlink marks,
 * changes, lists and deletes it. The ownership marker (alias prefix and device group, see
 * {@link DeviceMarker}) comes from PID {@code org.dumm}, properties {@code deviceAliasPrefix}
 * and {@code deviceGroup}.
 */
@Component(service = TapDriver.class, configurationPid = DummConfig.PID, immediate = true)
public class TunTapDriver implements TapDriver, AutoCloseable {

    /** Settings of the ownership marker, shared with the bridge driver. */
    public @interface Config {
        String deviceAliasPrefix() default DeviceMarker.DEFAULT_ALIAS_PREFIX;

        int deviceGroup() default DeviceMarker.DEFAULT_GROUP;
    }

    /**
     * A TAP is the host's end of a guest's cable and needs no IPv6 address of its own. With one,
     * each TAP sends duplicate address detection, router solicitations and MLD reports after its
     * guest attaches, which the bridge floods to every other guest on the segment (and a guest
     * with several interfaces on one bridge gets them once per interface). Asked for only where
     * the host has IPv6: without it the kernel refuses the whole request.
     */
    private static final boolean HOST_HAS_IPV6 = Files.isDirectory(Path.of("/proc/sys/net/ipv6/conf"));

    private volatile DeviceMarker marker;
    private volatile RtLink rt;
    /**
     * Interface index of each of Dumm's bridges a TAP was made on, by name. Looking the bridge up
     * again for every TAP cost a netlink round trip, about a third of a TAP's creation on an idle
     * host. Linux numbers devices counting up, so a bridge deleted and made again has a new index
     * and a stale entry makes the kernel refuse the attachment (EINVAL) rather than reach another
     * device; the bridge is then looked up and checked again.
     */
    private final Map<String, Integer> bridgeIndex = new ConcurrentHashMap<>();

    /** For Declarative Services; {@link #activate} completes it. */
    public TunTapDriver() {
    }

    /** A ready driver outside OSGi (tests, tools). Close it when done. */
    public TunTapDriver(DeviceMarker marker) {
        this.marker = marker;
        this.rt = RtLink.open();
    }

    @Activate
    void activate(Config config) {
        marker = new DeviceMarker(config.deviceAliasPrefix(), config.deviceGroup());
        rt = RtLink.open();
    }

    @Modified
    void modified(Config config) {
        marker = new DeviceMarker(config.deviceAliasPrefix(), config.deviceGroup());
        bridgeIndex.clear(); // checked against the old marker
    }

    @Deactivate
    @Override
    public void close() {
        rt.close();
    }

    @Override
    public void create(String name, String owner, String mac) {
        create(name, owner, mac, false, 0, null);
    }

    @Override
    public void createUp(String name, String owner, String mac, String bridge) {
        if (bridge == null) {
            create(name, owner, mac, true, 0, null);
            return;
        }
        IfNames.check("bridge", bridge);
        Integer known = bridgeIndex.get(bridge);
        if (known != null) {
            try {
                create(name, owner, mac, true, known, bridge);
                return;
            } catch (NativeException e) {
                if (e.errno() != Errno.EINVAL) {
                    throw e;
                }
                bridgeIndex.remove(bridge, known); // gone or made again: look it up below
            }
        }
        Link master = rt.get(bridge).orElseThrow(() -> new DummException(Reason.NOT_FOUND,
                "bridge '" + bridge + "' does not exist"));
        if (!master.isBridge() || !marker.owns(master)) {
            throw new DummException(Reason.NOT_OWNED, "device '" + bridge + "' is not one of Dumm's bridges ("
                    + marker + "); refusing to attach '" + name + "' to it");
        }
        create(name, owner, mac, true, master.index(), bridge);
        bridgeIndex.put(bridge, master.index());
    }

    /** With {@code masterIndex} 0 the TAP is on no bridge; else {@code bridge} names it for messages. */
    private void create(String name, String owner, String mac, boolean up, int masterIndex, String bridge) {
        IfNames.check("TAP", name);
        String alias;
        try {
            alias = marker.alias(owner);
        } catch (IllegalArgumentException e) {
            throw new DummException(Reason.INVALID_ARGUMENT, "TAP '" + name + "': " + e.getMessage());
        }
        byte[] address = mac == null ? null : MacAddress.parse(mac);
        // The device lives only as long as fd until TUNSETPERSIST: a failure before that point
        // closes fd and the kernel removes the half-made device by itself. It is marked as
        // Dumm's before it persists, so that no unmarked device can be left behind.
        int fd = Tun.createTap(name);
        try {
            LinkRequest mark = LinkRequest.named(name).alias(alias).group(marker.group());
            if (address != null) {
                mark.address(address);
            }
            if (HOST_HAS_IPV6) {
                mark.noIpv6Addresses();
            }
            rt.change(mark, "marking TAP '" + name + "' as Dumm's");
            Tun.setPersist(fd, true, name);
        } finally {
            Tun.close(fd);
        }
        if (!up && masterIndex == 0) {
            return;
        }
        // Up and on its bridge only once no descriptor holds it: with fd attached the device
        // has carrier, so going up there starts the bridge port and IPv6 at once and the close
        // takes them down again. This way the kernel's part cost 0.91-1.0 ms instead of
        // 1.19-1.27 (C, same system calls, 2-core VM); the port starts when the guest attaches.
        LinkRequest attach = LinkRequest.named(name);
        if (up) {
            attach.up(true);
        }
        if (masterIndex != 0) {
            attach.master(masterIndex);
        }
        try {
            rt.change(attach, masterIndex == 0 ? "setting TAP '" + name + "' up"
                    : "attaching TAP '" + name + "' to bridge '" + bridge + "'");
        } catch (RuntimeException e) {
            try {
                rt.get(name).ifPresent(l -> rt.delete(l.index(), "deleting TAP '" + name + "' again"));
            } catch (RuntimeException again) {
                e.addSuppressed(again);
            }
            throw e;
        }
    }

    @Override
    public void delete(String name) {
        Link tap = requireOwnedTap(name, "delete");
        rt.delete(tap.index(), "deleting TAP '" + name + "'");
    }

    @Override
    public void deleteAll(Collection<String> names) {
        GroupDelete.deleteNamed(rt, marker, names, "TAP", "TAPs", l -> checkOwnedTap(l, "delete"));
    }

    @Override
    public void up(String name) {
        setUp(name, true);
    }

    @Override
    public void down(String name) {
        setUp(name, false);
    }

    private void setUp(String name, boolean up) {
        Link tap = requireOwnedTap(name, up ? "set up" : "set down");
        rt.change(LinkRequest.of(tap.index()).up(up), "setting TAP '" + name + (up ? "' up" : "' down"));
    }

    /**
     * Through rtnetlink (IFLA_CARRIER), which reaches the tun driver's carrier switch exactly as
     * the TUNSETCARRIER ioctl does; the ioctl needs a descriptor attached to the TAP's queue, and
     * a running guest holds the only one (a TAP without IFF_MULTI_QUEUE has one queue).
     */
    @Override
    public void setCarrier(String name, boolean on) {
        Link tap = requireOwnedTap(name, on ? "set carrier on" : "set carrier off");
        rt.change(LinkRequest.of(tap.index()).carrier(on),
                "setting carrier of TAP '" + name + (on ? "' on" : "' off"));
        // The kernel's link watcher acts on a carrier change later (up to a second for a loss):
        // only then is the bridge port disabled or enabled and the device's queue stopped or
        // started. Return once it has, so that "link down" means nothing passes.
        long deadline = System.nanoTime() + CARRIER_SETTLE_NANOS;
        while (System.nanoTime() < deadline) {
            Optional<Link> now = rt.get(tap.index());
            if (now.isEmpty() || ((now.get().flags() & IFF_RUNNING) != 0) == on) {
                return;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** IFF_RUNNING: the operational state the link watcher derives from the carrier is up. */
    private static final int IFF_RUNNING = 0x40;
    private static final long CARRIER_SETTLE_NANOS = 3_000_000_000L;

    @Override
    public boolean exists(String name) {
        IfNames.check("TAP", name);
        return rt.get(name).isPresent();
    }

    @Override
    public String mac(String name) {
        IfNames.check("TAP", name);
        Link l = rt.get(name).orElseThrow(() -> notFound(name));
        if (l.mac() == null) {
            throw new DummException(Reason.INVALID_ARGUMENT, "device '" + name + "' has no Ethernet address");
        }
        return l.mac();
    }

    @Override
    public Optional<String> owner(String name) {
        IfNames.check("TAP", name);
        return rt.get(name).filter(Link::isTap).flatMap(marker::owner);
    }

    @Override
    public List<String> listOwned() {
        return rt.list("tun").stream().filter(l -> l.isTap() && marker.owns(l)).map(Link::name).sorted().toList();
    }

    private Link requireOwnedTap(String name, String action) {
        IfNames.check("TAP", name);
        Link l = rt.get(name).orElseThrow(() -> notFound(name));
        checkOwnedTap(l, action);
        return l;
    }

    private void checkOwnedTap(Link l, String action) {
        if (!marker.owns(l)) {
            throw new DummException(Reason.NOT_OWNED, "device '" + l.name() + "' was not created by Dumm ("
                    + marker + "); refusing to " + action + " it");
        }
        if (!l.isTap()) {
            throw new DummException(Reason.INVALID_ARGUMENT, "device '" + l.name() + "' is "
                    + (l.kind() == null ? "not a TAP" : "a " + l.kind() + ", not a TAP") + "; refusing to " + action + " it");
        }
    }

    private static DummException notFound(String name) {
        return new DummException(Reason.NOT_FOUND, "TAP '" + name + "' does not exist");
    }
}
