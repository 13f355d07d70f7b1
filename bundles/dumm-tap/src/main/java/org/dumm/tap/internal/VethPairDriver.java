package org.dumm.tap.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

import org.dumm.api.DummConfig;
import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.spi.VethDriver;
import org.dumm.nativ.Errno;
import org.dumm.nativ.NativeException;
import org.dumm.nativ.net.DeviceMarker;
import org.dumm.nativ.net.GroupDelete;
import org.dumm.nativ.net.IfNames;
import org.dumm.nativ.net.Link;
import org.dumm.nativ.net.LinkRequest;
import org.dumm.nativ.net.MacAddress;
import org.dumm.nativ.net.RtLink;
import org.dumm.nativ.net.Veth;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;

/**
 * {@link VethDriver} in-process through rtnetlink, with the TAP driver's ownership marker (PID
 * {@code org.dumm}, {@link TunTapDriver.Config}). A pair is created in the marker's device group,
 * then both ends get the alias and the host end its state and bridge in one batch; a failure on
 * the way deletes the pair again.
 */
@Component(service = VethDriver.class, configurationPid = DummConfig.PID, immediate = true)
public class VethPairDriver implements VethDriver, AutoCloseable {

    private static final boolean HOST_HAS_IPV6 = Files.isDirectory(Path.of("/proc/sys/net/ipv6/conf"));

    private volatile DeviceMarker marker;
    private volatile RtLink rt;

    /** For Declarative Services; {@link #activate} completes it. */
    public VethPairDriver() {
    }

    /** A ready driver outside OSGi (tests, tools). Close it when done. */
    public VethPairDriver(DeviceMarker marker) {
        this.marker = marker;
        this.rt = RtLink.open();
    }

    @Activate
    void activate(TunTapDriver.Config config) {
        marker = new DeviceMarker(config.deviceAliasPrefix(), config.deviceGroup());
        rt = RtLink.open();
    }

    @Modified
    void modified(TunTapDriver.Config config) {
        marker = new DeviceMarker(config.deviceAliasPrefix(), config.deviceGroup());
    }

    @Deactivate
    @Override
    public void close() {
        rt.close();
    }

    @Override
    public void createUp(String name, String owner, String bridge) {
        create(name, owner, bridge, 0, null, null);
    }

    @Override
    public void createUpInto(String name, String owner, String bridge, long pid, String guestName, String mac) {
        if (pid <= 0) {
            throw new DummException(Reason.INVALID_ARGUMENT, "veth '" + name + "': no process to take its peer (" + pid + ")");
        }
        IfNames.check("interface", guestName);
        create(name, owner, bridge, pid, guestName, mac == null ? null : MacAddress.parse(mac));
    }

    private void create(String name, String owner, String bridge, long pid, String guestName, byte[] mac) {
        IfNames.check("veth", name);
        String peer = pid == 0 ? VethDriver.peerName(name) : guestName;
        String alias;
        try {
            alias = marker.alias(owner);
        } catch (IllegalArgumentException e) {
            throw new DummException(Reason.INVALID_ARGUMENT, "veth '" + name + "': " + e.getMessage());
        }
        int masterIndex = 0;
        if (bridge != null) {
            IfNames.check("bridge", bridge);
            Link master = rt.get(bridge).orElseThrow(() -> new DummException(Reason.NOT_FOUND,
                    "bridge '" + bridge + "' does not exist"));
            if (!master.isBridge() || !marker.owns(master)) {
                throw new DummException(Reason.NOT_OWNED, "device '" + bridge + "' is not one of Dumm's bridges ("
                        + marker + "); refusing to attach '" + name + "' to it");
            }
            masterIndex = master.index();
        }
        try {
            Veth.create(rt, name, peer, marker.group(), pid, mac);
        } catch (NativeException e) {
            if (e.errno() == Errno.EEXIST) {
                throw new DummException(Reason.ALREADY_EXISTS, "veth '" + name + "' or its peer '" + peer
                        + "': a device of that name exists");
            }
            throw e;
        }
        LinkRequest host = LinkRequest.named(name).alias(alias).up(true);
        if (masterIndex != 0) {
            host.master(masterIndex);
        }
        LinkRequest peerMark = LinkRequest.named(peer).alias(alias);
        if (HOST_HAS_IPV6) {
            host.noIpv6Addresses();
            peerMark.noIpv6Addresses();
        }
        List<LinkRequest> marks = pid == 0 ? List.of(peerMark, host) : List.of(host);
        List<NativeException> results = rt.changeAll(marks,
                i -> marks.get(i) == peerMark ? "marking veth peer '" + peer + "' as Dumm's"
                        : "marking veth '" + name + "', setting it up" + (bridge == null ? "" : " on bridge '" + bridge + "'"));
        for (NativeException failure : results) {
            if (failure != null) {
                try {
                    rt.get(name).ifPresent(l -> rt.delete(l.index(), "deleting veth '" + name + "' again"));
                } catch (RuntimeException again) {
                    failure.addSuppressed(again);
                }
                throw failure;
            }
        }
    }

    @Override
    public void moveInto(String name, long pid, String guestName, String mac) {
        IfNames.check("veth", name);
        String peer = VethDriver.peerName(name);
        Link l = rt.get(peer).orElseThrow(() -> new DummException(Reason.NOT_FOUND,
                "peer '" + peer + "' of veth '" + name + "' is not in the host's network namespace"));
        check(l, "move");
        Veth.moveToNamespace(rt, l.index(), pid, guestName, mac == null ? null : MacAddress.parse(mac));
    }

    @Override
    public void delete(String name) {
        IfNames.check("veth", name);
        Link l = rt.get(name).orElseThrow(() -> new DummException(Reason.NOT_FOUND, "veth '" + name + "' does not exist"));
        check(l, "delete");
        rt.delete(l.index(), "deleting veth '" + name + "'");
    }

    @Override
    public void deleteAll(Collection<String> names) {
        GroupDelete.deleteNamed(rt, marker, names, "veth", "veths", l -> check(l, "delete"));
    }

    @Override
    public boolean exists(String name) {
        IfNames.check("veth", name);
        return rt.get(name).isPresent();
    }

    @Override
    public Optional<String> owner(String name) {
        IfNames.check("veth", name);
        return rt.get(name).filter(l -> Veth.KIND.equals(l.kind())).flatMap(marker::owner);
    }

    @Override
    public List<String> listOwned() {
        return rt.list(Veth.KIND).stream().filter(marker::owns).map(Link::name).sorted().toList();
    }

    private void check(Link l, String action) {
        if (!marker.owns(l)) {
            throw new DummException(Reason.NOT_OWNED, "device '" + l.name() + "' was not created by Dumm ("
                    + marker + "); refusing to " + action + " it");
        }
        if (!Veth.KIND.equals(l.kind())) {
            throw new DummException(Reason.INVALID_ARGUMENT, "device '" + l.name() + "' is "
                    + (l.kind() == null ? "not a veth" : "a " + l.kind() + ", not a veth") + "; refusing to " + action + " it");
        }
    }
}
