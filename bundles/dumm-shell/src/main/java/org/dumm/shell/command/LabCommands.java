package org.dumm.shell.command;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.completers.FileCompleter;
import org.apache.karaf.shell.support.table.ShellTable;
import org.dumm.api.DummException;
import org.dumm.api.Iface;
import org.dumm.api.Mesh;
import org.dumm.lab.LabChange;
import org.dumm.lab.LabInfo;
import org.dumm.lab.LabLink;
import org.dumm.lab.LabOptions;
import org.dumm.lab.LabPlan;
import org.dumm.lab.LabService;

/** The lab-* commands: thin, on the LabService of bundle dumm-lab. */
public final class LabCommands {

    private LabCommands() {
    }

    /**
     * The guest of {@code device} in {@code lab} (the commands' {@code --lab LAB DEV}), or
     * {@code device} itself when no lab is given.
     */
    static String guest(LabService labs, String lab, String device) {
        if (lab == null) {
            return device;
        }
        if (labs == null) {
            throw new DummException(DummException.Reason.INVALID_STATE, "--lab needs feature dumm-lab");
        }
        LabInfo info = labs.info(lab).orElseThrow(() -> new DummException(DummException.Reason.NOT_FOUND, "no lab " + lab));
        return info.devices().stream().filter(d -> d.name().equals(device)).findFirst().map(LabInfo.Device::guest)
                .orElseThrow(() -> new DummException(DummException.Reason.NOT_FOUND, "lab " + lab + " has no device " + device));
    }

    /** Base of the lab commands: the LabService reference. */
    public abstract static class LabCommand implements Action {
        @Reference
        protected LabService labs;
    }

    @Service
    @Command(scope = "dumm", name = "lab-apply", description = "Applies a Netkit/Kathara lab directory or a Dumm YAML lab file: creates it, or reconciles it live")
    public static class Apply extends LabCommand {
        @Argument(index = 0, name = "path", description = "Lab directory (lab.conf, else lab.yaml) or YAML lab file", required = true)
        @Completion(FileCompleter.class)
        String path;

        @Argument(index = 1, name = "options", description = "Options may also follow the arguments", multiValued = true)
        List<String> trailing;

        @Option(name = "--dry-run", description = "Print the plan only")
        boolean dryRun;

        @Option(name = "--name", description = "The lab's name (default: LAB_NAME or the YAML name, else the directory's or file's name)")
        String name;

        @Option(name = "--image", description = "IMAGE=MASTER: the Dumm master for a lab image (repeatable)", multiValued = true)
        List<String> image;

        @Option(name = "--exclude", description = "A device to leave out (repeatable): not created, removed if it was", multiValued = true)
        List<String> exclude;

        @Override
        public Object execute() {
            TrailingOptions.applyAll(this, trailing);
            Map<String, String> images = new LinkedHashMap<>();
            if (image != null) {
                for (String i : image) {
                    int eq = i.indexOf('=');
                    if (eq <= 0 || eq == i.length() - 1) {
                        throw new DummException(DummException.Reason.INVALID_ARGUMENT, "--image takes IMAGE=MASTER, not '" + i + "'");
                    }
                    images.put(i.substring(0, eq), i.substring(eq + 1));
                }
            }
            LabOptions options = new LabOptions(name, images, exclude == null ? null : java.util.Set.copyOf(exclude));
            Path source = Path.of(path).toAbsolutePath();
            long t0 = System.nanoTime();
            LabPlan plan = dryRun ? labs.plan(source, options)
                    : labs.apply(source, options, line -> System.out.println("  " + line));
            plan.warnings().forEach(w -> System.out.println("warning: " + w));
            if (plan.empty()) {
                System.out.println("lab " + plan.lab() + ": nothing to change");
                return null;
            }
            if (dryRun) {
                System.out.println("plan for lab " + plan.lab() + (plan.firstApply() ? " (new)" : "") + ": "
                        + plan.changes().size() + " change(s)");
                for (LabChange c : plan.changes()) {
                    System.out.println("  " + c);
                }
            } else {
                System.out.println("lab " + plan.lab() + (plan.firstApply() ? " created" : " reconciled") + ": "
                        + plan.changes().size() + " change(s) in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
            }
            return null;
        }
    }

    @Service
    @Command(scope = "dumm", name = "lab-destroy", description = "Deletes a lab's guests and segments, from its remembered state")
    public static class Destroy extends LabCommand {
        @Argument(index = 0, name = "lab", description = "Lab name or source directory", required = true)
        @Completion(LabNameCompleter.class)
        String lab;

        @Override
        public Object execute() {
            labs.destroy(lab, line -> System.out.println("  " + line));
            System.out.println("lab " + lab + " destroyed");
            return null;
        }
    }

    @Service
    @Command(scope = "dumm", name = "lab-list", description = "Lists the labs Dumm remembers, with their devices' states")
    public static class ListLabs extends LabCommand {
        @Option(name = "--json", description = "JSON for scripts")
        boolean json;

        @Override
        public Object execute() {
            List<LabInfo> all = labs.labs();
            if (json) {
                System.out.println(Views.json(all));
                return null;
            }
            ShellTable table = new ShellTable();
            table.column("Name");
            table.column("Devices");
            table.column("Running");
            table.column("Segments");
            table.column("Source");
            for (LabInfo l : all) {
                long running = l.devices().stream().filter(d -> d.state().equals("running")).count();
                table.addRow().addContent(l.name(), l.devices().size(), running, l.segments().size(), l.source());
            }
            table.print(System.out);
            return null;
        }
    }

    @Service
    @Command(scope = "dumm", name = "lab-info", description = "Shows a lab: devices with state, segments with members and host bridges")
    public static class Info extends LabCommand {
        @Argument(index = 0, name = "lab", required = true)
        @Completion(LabNameCompleter.class)
        String lab;

        @Argument(index = 1, name = "options", description = "Options may also follow the arguments", multiValued = true)
        List<String> trailing;

        @Option(name = "--json", description = "JSON for scripts")
        boolean json;

        /** For the host TAP of each device interface (the lab keeps links, the mesh their TAPs). */
        @Reference
        Mesh mesh;

        @Override
        public Object execute() {
            TrailingOptions.applyAll(this, trailing);
            LabInfo info = labs.info(lab).orElseThrow(() -> new DummException(DummException.Reason.NOT_FOUND, "no lab " + lab));
            if (json) {
                System.out.println(Views.json(info));
                return null;
            }
            System.out.println("lab " + info.name() + " from " + info.source());
            ShellTable devices = new ShellTable();
            devices.column("Device");
            devices.column("Guest");
            devices.column("State");
            devices.column("Master");
            devices.column("Mem");
            devices.column("Links");
            devices.column("TAPs");
            for (LabInfo.Device d : info.devices()) {
                String taps = mesh.guest(d.guest()).map(g -> Views.join(g.interfaces().stream().map(Iface::tap).toList()))
                        .orElse("-");
                devices.addRow().addContent(d.name(), d.guest(), d.state(), Views.dash(d.master()),
                        d.memoryMb() == 0 ? "-" : d.memoryMb() + "M", links(d.links()), taps);
            }
            devices.print(System.out);
            ShellTable segments = new ShellTable();
            segments.column("CD");
            segments.column("Bridge");
            segments.column("Members");
            for (LabInfo.Segment s : info.segments()) {
                segments.addRow().addContent(s.cd(), s.bridge(), Views.join(s.members()));
            }
            segments.print(System.out);
            return null;
        }

        private static String links(List<LabLink> links) {
            return Views.join(links.stream().map(l -> l.iface() + "=" + l.cd() + (l.mac() == null ? "" : "/" + l.mac())
                    + (l.addresses().isEmpty() ? "" : " " + String.join(" ", l.addresses())) + cable(l.link())).toList());
        }

        /** Empty for a clean cable, else what is unusual about it. */
        private static String cable(org.dumm.api.LinkState s) {
            java.util.List<String> notes = new java.util.ArrayList<>();
            if (!s.carrier()) {
                notes.add("no carrier");
            }
            if (!s.toGuest().isNone() || !s.fromGuest().isNone()) {
                notes.add("impaired");
            }
            return notes.isEmpty() ? "" : " [" + String.join(", ", notes) + "]";
        }
    }

    @Service
    @Command(scope = "dumm", name = "lab-graph", description = "Prints a lab's topology: devices, collision domains and links")
    public static class Graph extends LabCommand {
        @Argument(index = 0, name = "lab", required = true)
        @Completion(LabNameCompleter.class)
        String lab;

        @Argument(index = 1, name = "options", description = "Options may also follow the arguments", multiValued = true)
        List<String> trailing;

        @Option(name = "--dot", description = "Graphviz dot (the default)")
        boolean dot;

        @Option(name = "--mermaid", description = "A Mermaid flowchart")
        boolean mermaid;

        @Option(name = "--json", description = "Nodes and edges as JSON")
        boolean json;

        @Override
        public Object execute() {
            TrailingOptions.applyAll(this, trailing);
            if ((dot ? 1 : 0) + (mermaid ? 1 : 0) + (json ? 1 : 0) > 1) {
                throw new DummException(DummException.Reason.INVALID_ARGUMENT, "give one of --dot, --mermaid, --json");
            }
            LabInfo info = labs.info(lab).orElseThrow(() -> new DummException(DummException.Reason.NOT_FOUND, "no lab " + lab));
            System.out.print(mermaid ? LabGraph.mermaid(info) : json ? Views.json(LabGraph.json(info)) + "\n" : LabGraph.dot(info));
            return null;
        }
    }

    @Service
    @Command(scope = "dumm", name = "lab-export", description = "Writes a running lab, changes made by hand included, as a Dumm YAML lab file")
    public static class Export extends LabCommand {
        @Argument(index = 0, name = "lab", required = true)
        @Completion(LabNameCompleter.class)
        String lab;

        @Argument(index = 1, name = "file", description = "The YAML file to write (- for the console)", required = true)
        @Completion(FileCompleter.class)
        String file;

        @Override
        public Object execute() {
            if (file.equals("-")) {
                System.out.print(labs.export(lab, null));
            } else {
                Path target = Path.of(file).toAbsolutePath();
                labs.export(lab, target);
                System.out.println("lab " + lab + " written to " + target);
            }
            return null;
        }
    }

    @Service
    @Command(scope = "dumm", name = "lab-schema", description = "Prints the JSON Schema of Dumm's YAML lab files (for editors and CI)")
    public static class Schema extends LabCommand {
        @Override
        public Object execute() {
            System.out.println(labs.schema());
            return null;
        }
    }
}
