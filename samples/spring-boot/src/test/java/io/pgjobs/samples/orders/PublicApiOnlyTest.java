package io.pgjobs.samples.orders;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The sample shows what an application writes: pgjobs' public API only (docs/architecture.md). */
class PublicApiOnlyTest {
    @Test
    void theSampleUsesOnlyThePublicPackages() {
        noClasses().should().dependOnClassesThat().resideInAPackage("io.pgjobs.internal..")
                .check(new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                        .importPackages("io.pgjobs.samples.orders"));
    }
}
