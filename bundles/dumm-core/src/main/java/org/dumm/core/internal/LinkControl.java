package org.dumm.core.internal;

import java.util.Map;

import org.dumm.api.DummEvents;
import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.Iface;
import org.dumm.api.Impairment;
import org.dumm.api.LinkDirection;
import org.dumm.api.LinkState;
import org.dumm.api.spi.GuestHandle;
import org.dumm.api.spi.TapDriver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state of each interface's cable: carrier (cut on the host TAP, whose bridge port then
 * passes nothing, and shown to the guest by its backend) and impairment (applied by the
 * backend in the guest's kernel). Recorded with the interface; a change to a running guest is
 * applied at once and recorded only when it took, otherwise the previous state is put back.
 * Applied again after every boot and re-adoption ({@link #reapply}). Locking as in {@link MeshModel}.
 */
final class LinkControl {

    private static final Logger LOG = LoggerFactory.getLogger(LinkControl.class);

    private final MeshModel model;
    private final MeshEvents events;
    private final TapDriver taps;

    LinkControl(MeshModel model, MeshEvents events, TapDriver taps) {
        this.model = model;
        this.events = events;
        this.taps = taps;
    }

    Iface setCarrier(String guest, String iface, boolean up) {
        GuestEntry e = model.entry(guest);
        e.lock.lock();
        try {
            IfaceRecord i = MeshModel.iface(e, iface);
            Wiring.requireNotBusy(e);
            if (e.isUp() && i.link().carrier() != up) {
                applyCarrier(e.handle, i, up);
            }
            return record(e, i.withLink(i.link().withCarrier(up)));
        } finally {
            e.lock.unlock();
        }
    }

    Iface setImpairment(String guest, String iface, LinkDirection direction, Impairment impairment) {
        if (direction == null || impairment == null) {
            throw new DummException(Reason.INVALID_ARGUMENT, "a direction and an impairment are needed");
        }
        GuestEntry e = model.entry(guest);
        e.lock.lock();
        try {
            IfaceRecord i = MeshModel.iface(e, iface);
            Wiring.requireNotBusy(e);
            LinkState next = i.link().withImpairment(direction, impairment);
            if (e.isUp() && !next.equals(i.link())) {
                applyImpairment(e.handle, e.name, i, next, i.link());
            }
            return record(e, i.withLink(next));
        } finally {
            e.lock.unlock();
        }
    }

    /**
     * After a boot or a re-adoption (under the guest's lock): cables that are not clean are set
     * up again. A failure is logged, not thrown: the guest runs, and {@code guest-info} still
     * shows what was asked for.
     */
    void reapply(GuestEntry e, GuestHandle h) {
        for (IfaceRecord i : e.record.interfaces()) {
            LinkState s = i.link();
            try {
                if (!s.toGuest().isNone() || !s.fromGuest().isNone()) {
                    h.setImpairment(i.name(), s.toGuest(), s.fromGuest());
                }
                if (!s.carrier()) {
                    applyCarrier(h, i, false);
                }
            } catch (RuntimeException ex) {
                LOG.warn("guest '{}': could not restore the state of {}'s cable: {}", e.name, i.name(), ex.getMessage());
            }
        }
    }

    /** Host TAP first (that cuts the traffic), then what the guest sees; the host is put back if the guest fails. */
    private void applyCarrier(GuestHandle h, IfaceRecord i, boolean up) {
        taps.setCarrier(i.tap(), up);
        try {
            h.setCarrier(i.name(), up);
        } catch (RuntimeException ex) {
            try {
                taps.setCarrier(i.tap(), !up);
            } catch (RuntimeException again) {
                ex.addSuppressed(again);
            }
            throw ex;
        }
    }

    private void applyImpairment(GuestHandle h, String guest, IfaceRecord i, LinkState next, LinkState previous) {
        try {
            h.setImpairment(i.name(), next.toGuest(), next.fromGuest());
        } catch (RuntimeException ex) {
            try {
                h.setImpairment(i.name(), previous.toGuest(), previous.fromGuest());
            } catch (RuntimeException again) {
                ex.addSuppressed(again);
            }
            throw new DummException(ex instanceof DummException d ? d.reason() : Reason.GUEST_FAILURE,
                    guest + "/" + i.name() + ": " + ex.getMessage() + "; the previous settings stay", ex);
        }
    }

    private Iface record(GuestEntry e, IfaceRecord updated) {
        model.updateRecord(e, e.record.withIface(updated));
        events.post(DummEvents.IFACE_LINK, e.name, Map.of(DummEvents.IFACE, updated.name()));
        return updated.toApi(e.name);
    }
}
