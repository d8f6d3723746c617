/*
 * buildinfo — what this binary is: its version (the top entry of
 * debian/changelog), the build it came from (`git describe` of the source
 * tree, or in a tarball made by `git archive` what export-subst wrote into
 * common/build-id) and the default BIZENV_HOME chosen when it was built.
 *
 * The values are baked in at build time by common/buildinfo.sh into the
 * generated $(BUILD)/gen/buildinfo_data.c; nothing here reads files or the
 * environment at run time. The label is what a run and an export record,
 * so a published file names the build that made it.
 */
#ifndef BZ_BUILDINFO_H
#define BZ_BUILDINFO_H

/* "1.0.0": the package version. Static storage; cannot fail. */
const char *buildinfo_version(void);

/* "1.0.0-3-gb44802b", "b44802b-dirty", or "unknown" when neither git nor a
 * tarball's build-id said. Static storage; cannot fail. */
const char *buildinfo_build(void);

/* "1.0.0 (b44802b)": version and build together, as stored in meta.run and
 * meta.export and written into workbooks. Static storage; cannot fail. */
const char *buildinfo_label(void);

/* BIZENV_HOME when neither --home nor the environment sets it: "var"
 * (relative to the working folder) for a development build,
 * /var/lib/bizenv for the Debian package. Static storage; cannot fail. */
const char *buildinfo_default_home(void);

#endif
