package org.dumm.shell.command;

import java.nio.file.Path;
import java.util.List;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.completers.FileCompleter;
import org.apache.karaf.shell.support.table.ShellTable;
import org.dumm.api.Template;
import org.dumm.api.TemplateDiff;

/** The template-* commands: small enough to live together. */
public final class TemplateCommands {

    private TemplateCommands() {
    }

    @Service
    @Command(scope = "dumm", name = "template-create", description = "Creates an empty template (scenario)")
    public static class Create extends MeshCommand {
        @Argument(index = 0, name = "name", required = true)
        String name;

        @Override
        public Object execute() {
            System.out.println("template " + mesh.createTemplate(name).name() + " created");
            return null;
        }
    }

    @Service
    @Command(scope = "dumm", name = "template-delete", description = "Deletes a template (not while loaded)")
    public static class Delete extends MeshCommand {
        @Argument(index = 0, name = "name", required = true)
        @Completion(TemplateNameCompleter.class)
        String name;

        @Override
        public Object execute() {
            mesh.deleteTemplate(name);
            System.out.println("template " + name + " deleted");
            return null;
        }
    }

    @Service
    @Command(scope = "dumm", name = "template-load", description = "Loads a template live: guests read it and write into it")
    public static class Load extends MeshCommand {
        @Argument(index = 0, name = "name", required = true)
        @Completion(TemplateNameCompleter.class)
        String name;

        @Override
        public Object execute() {
            System.out.println("template " + mesh.loadTemplate(name).name() + " loaded");
            return null;
        }
    }

    @Service
    @Command(scope = "dumm", name = "template-unload", description = "Unloads the loaded template live")
    public static class Unload extends MeshCommand {
        @Override
        public Object execute() {
            String name = mesh.loadedTemplate().map(Template::name).orElse(null);
            mesh.unloadTemplate();
            System.out.println("template " + name + " unloaded");
            return null;
        }
    }

    @Service
    @Command(scope = "dumm", name = "template-list", description = "Lists templates")
    public static class ListTemplates extends MeshCommand {
        @Option(name = "--json", description = "JSON for scripts")
        boolean json;

        @Override
        public Object execute() {
            List<Template> templates = mesh.templates();
            if (json) {
                System.out.println(Views.json(templates));
                return null;
            }
            ShellTable table = new ShellTable();
            table.column("Name");
            table.column("Loaded");
            table.column("Guests");
            for (Template t : templates) {
                table.addRow().addContent(t.name(), t.loaded() ? "yes" : "", Views.join(t.guests()));
            }
            table.print(System.out);
            return null;
        }
    }

    @Service
    @Command(scope = "dumm", name = "template-diff", description = "Shows what a template adds, changes and deletes per guest")
    public static class Diff extends MeshCommand {
        @Argument(index = 0, name = "name", required = true)
        @Completion(TemplateNameCompleter.class)
        String name;

        @Argument(index = 1, name = "options", description = "Options may also follow the arguments", multiValued = true)
        List<String> trailing;

        @Option(name = "--json", description = "JSON for scripts")
        boolean json;

        @Override
        public Object execute() {
            TrailingOptions.applyAll(this, trailing);
            List<TemplateDiff> diffs = mesh.diffTemplate(name);
            if (json) {
                System.out.println(Views.json(diffs));
                return null;
            }
            for (TemplateDiff d : diffs) {
                System.out.println(d.guest() + ":");
                d.added().forEach(p -> System.out.println("  A " + p));
                d.changed().forEach(p -> System.out.println("  M " + p));
                d.deleted().forEach(p -> System.out.println("  D " + p));
            }
            return null;
        }
    }

    @Service
    @Command(scope = "dumm", name = "template-export", description = "Writes a template to a tar.gz archive")
    public static class Export extends MeshCommand {
        @Argument(index = 0, name = "name", required = true)
        @Completion(TemplateNameCompleter.class)
        String name;

        @Argument(index = 1, name = "archive", required = true)
        @Completion(FileCompleter.class)
        String archive;

        @Override
        public Object execute() {
            mesh.exportTemplate(name, Path.of(archive).toAbsolutePath());
            System.out.println("template " + name + " exported to " + archive);
            return null;
        }
    }

    @Service
    @Command(scope = "dumm", name = "template-import", description = "Creates a template from a tar.gz archive")
    public static class Import extends MeshCommand {
        @Argument(index = 0, name = "name", required = true)
        String name;

        @Argument(index = 1, name = "archive", required = true)
        @Completion(FileCompleter.class)
        String archive;

        @Override
        public Object execute() {
            System.out.println("template " + mesh.importTemplate(name, Path.of(archive).toAbsolutePath()).name() + " imported");
            return null;
        }
    }
}
