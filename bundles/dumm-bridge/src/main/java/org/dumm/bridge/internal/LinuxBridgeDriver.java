package org.dumm.bridge.internal;

import java.time.Duration;
import java.util.Collection;
import java.util.List;

import org.dumm.api.DummConfig;
import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.spi.BridgeDriver;
import org.dumm.nativ.NativeException;
import org.dumm.nativ.net.DeviceMarker;
import org.dumm.nativ.net.GroupDelete;
import org.dumm.nativ.net.IfNames;
import org.dumm.nativ.net.Link;
import org.dumm.nativ.net.LinkRequest;
import org.dumm.nativ.net.Netlink;
import org.dumm.nativ.net.RtLink;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;

/**
 * {@link BridgeDriver} over rtnetlink: bridges are RTM_NEWLINK kind "bridge", ports are set with
 * IFLA_MASTER, STP and ageing time are IFLA_BR_* settings. Every bridge carries the ownership
 * marker of {@link DeviceMarker} (PID {@code org.dumm}: {@code deviceAliasPrefix},
 * {@code deviceGroup}); bridges and ports without it are never changed.
 */
@Component(service = BridgeDriver.class, configurationPid = DummConfig.PID, immediate = true)
public class LinuxBridgeDriver implements BridgeDriver, AutoCloseable {

    /** Settings of the ownership marker, shared with the TAP driver. */
    public @interface Config {
        String deviceAliasPrefix() default DeviceMarker.DEFAULT_ALIAS_PREFIX;

        int deviceGroup() default DeviceMarker.DEFAULT_GROUP;
    }

    /** Owner text in a bridge's alias (TAPs record guest and interface there instead). */
    static final String BRIDGE_OWNER = "bridge";
    /** IFLA_BR_AGEING_TIME is a u32 count of centiseconds (USER_HZ clock ticks). */
    private static final long MAX_AGEING_CENTIS = 0xffffffffL;

    private volatile DeviceMarker marker;
    private volatile RtLink rt;

    /** For Declarative Services; {@link #activate} completes it. */
    public LinuxBridgeDriver() {
    }

    /** A ready driver outside OSGi (tests, tools). Close it when done. */
    public LinuxBridgeDriver(DeviceMarker marker) {
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
    }

    @Deactivate
    @Override
    public void close() {
        rt.close();
    }

    @Override
    public void create(String name) {
        IfNames.check("bridge", name);
        DeviceMarker m = marker;
        rt.create(LinkRequest.named(name).kind("bridge").group(m.group()).up(true), "creating bridge '" + name + "'");
        // The kernel ignores the alias on creation, so it takes a second request; if that
        // fails, the bridge we just made goes again.
        try {
            rt.change(LinkRequest.named(name).alias(m.alias(BRIDGE_OWNER)), "marking bridge '" + name + "' as Dumm's");
        } catch (NativeException e) {
            rt.get(name).ifPresent(l -> rt.delete(l.index(), "removing half-made bridge '" + name + "'"));
            throw e;
        }
    }

    @Override
    public void delete(String name) {
        Link br = requireOwnedBridge(name, "delete");
        rt.delete(br.index(), "deleting bridge '" + name + "'");
    }

    @Override
    public void deleteAll(Collection<String> names) {
        GroupDelete.deleteNamed(rt, marker, names, "bridge", "bridges", l -> checkOwnedBridge(l, "delete"));
    }

    @Override
    public void addPort(String bridge, String port) {
        IfNames.check("port", port);
        Link br = requireOwnedBridge(bridge, "add a port to");
        Link p = rt.get(port).orElseThrow(() -> new DummException(Reason.NOT_FOUND,
                "cannot attach '" + port + "' to bridge '" + bridge + "': device '" + port + "' does not exist"));
        if (!marker.owns(p)) {
            throw notOwned(p, "attach it to bridge '" + bridge + "'");
        }
        if (p.master() == br.index()) {
            return;
        }
        if (p.master() != 0) {
            String current = rt.get(p.master()).map(Link::name).orElse("#" + p.master());
            throw new DummException(Reason.INVALID_STATE, "'" + port + "' is already a port of '" + current
                    + "'; remove it there before attaching it to '" + bridge + "'");
        }
        rt.change(LinkRequest.of(p.index()).master(br.index()), "attaching '" + port + "' to bridge '" + bridge + "'");
    }

    @Override
    public void removePort(String bridge, String port) {
        IfNames.check("port", port);
        Link br = requireOwnedBridge(bridge, "remove a port from");
        Link p = rt.get(port).filter(l -> l.master() == br.index()).orElseThrow(() -> new DummException(
                Reason.NOT_FOUND, "'" + port + "' is not a port of bridge '" + bridge + "'"));
        if (!marker.owns(p)) {
            throw notOwned(p, "detach it");
        }
        rt.change(LinkRequest.of(p.index()).master(0), "detaching '" + port + "' from bridge '" + bridge + "'");
    }

    @Override
    public List<String> ports(String bridge) {
        IfNames.check("bridge", bridge);
        Link br = rt.get(bridge).orElseThrow(() -> notFound(bridge));
        if (!br.isBridge()) {
            throw notABridge(br);
        }
        return rt.ports(br.index()).stream().map(Link::name).sorted().toList();
    }

    @Override
    public void up(String name) {
        Link br = requireOwnedBridge(name, "set up");
        rt.change(LinkRequest.of(br.index()).up(true), "setting bridge '" + name + "' up");
    }

    @Override
    public void down(String name) {
        Link br = requireOwnedBridge(name, "set down");
        rt.change(LinkRequest.of(br.index()).up(false), "setting bridge '" + name + "' down");
    }

    @Override
    public void setStp(String name, boolean on) {
        Link br = requireOwnedBridge(name, "change STP of");
        rt.change(LinkRequest.of(br.index()).kind("bridge").data(Netlink.IFLA_BR_STP_STATE, on ? 1 : 0),
                "turning STP " + (on ? "on" : "off") + " on bridge '" + name + "'");
    }

    @Override
    public void setAgeingTime(String name, Duration ageing) {
        if (ageing == null || ageing.isNegative() || ageing.toMillis() / 10 > MAX_AGEING_CENTIS) {
            throw new DummException(Reason.INVALID_ARGUMENT, "ageing time " + ageing + " must be between 0 and "
                    + MAX_AGEING_CENTIS / 100 + " s");
        }
        Link br = requireOwnedBridge(name, "change the ageing time of");
        int centis = (int) (ageing.toMillis() / 10); // u32 bits
        rt.change(LinkRequest.of(br.index()).kind("bridge").data(Netlink.IFLA_BR_AGEING_TIME, centis),
                "setting ageing time of bridge '" + name + "' to " + ageing.toMillis() / 1000.0 + " s");
    }

    @Override
    public boolean exists(String name) {
        IfNames.check("bridge", name);
        return rt.get(name).isPresent();
    }

    @Override
    public boolean isOwned(String name) {
        IfNames.check("bridge", name);
        return rt.get(name).filter(l -> l.isBridge() && marker.owns(l)).isPresent();
    }

    @Override
    public List<String> listOwned() {
        return rt.list("bridge").stream().filter(marker::owns).map(Link::name).sorted().toList();
    }

    private Link requireOwnedBridge(String name, String action) {
        IfNames.check("bridge", name);
        Link l = rt.get(name).orElseThrow(() -> notFound(name));
        checkOwnedBridge(l, action);
        return l;
    }

    private void checkOwnedBridge(Link l, String action) {
        if (!marker.owns(l)) {
            throw notOwned(l, action + " it");
        }
        if (!l.isBridge()) {
            throw notABridge(l);
        }
    }

    private DummException notOwned(Link l, String action) {
        return new DummException(Reason.NOT_OWNED, "device '" + l.name() + "' was not created by Dumm (" + marker
                + "); refusing to " + action);
    }

    private static DummException notABridge(Link l) {
        return new DummException(Reason.INVALID_ARGUMENT, "device '" + l.name() + "' is "
                + (l.kind() == null ? "not a bridge" : "a " + l.kind() + ", not a bridge"));
    }

    private static DummException notFound(String name) {
        return new DummException(Reason.NOT_FOUND, "bridge '" + name + "' does not exist");
    }
}
