/* deny_read.exe KEY: puts a DACL on HKLM\KEY that denies everyone all access
 * ("D:(D;;KA;;;WD)"), so that tests/e2e/windows.sh can check how
 * `tlscheck schannel --local` reports a key it may not read. Built with the
 * MinGW cross gcc and run under Wine; only ever used on a throwaway prefix. */
#include <windows.h>
#include <sddl.h>
#include <stdio.h>

int wmain(int argc, wchar_t **argv) {
    HKEY key;
    PSECURITY_DESCRIPTOR sd;
    LONG rc;
    if (argc != 2) {
        fprintf(stderr, "usage: deny_read.exe KEY (below HKLM)\n");
        return 2;
    }
    rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, argv[1], 0, WRITE_DAC | READ_CONTROL, &key);
    if (rc != ERROR_SUCCESS) {
        fprintf(stderr, "deny_read: RegOpenKeyExW: error %ld\n", rc);
        return 1;
    }
    if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(L"D:(D;;KA;;;WD)", SDDL_REVISION_1,
                                                              &sd, NULL)) {
        fprintf(stderr, "deny_read: SDDL: error %lu\n", GetLastError());
        return 1;
    }
    rc = RegSetKeySecurity(key, DACL_SECURITY_INFORMATION, sd);
    LocalFree(sd);
    RegCloseKey(key);
    if (rc != ERROR_SUCCESS) {
        fprintf(stderr, "deny_read: RegSetKeySecurity: error %ld\n", rc);
        return 1;
    }
    return 0;
}
