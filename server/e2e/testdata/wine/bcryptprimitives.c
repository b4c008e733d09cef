/*
 * bcryptprimitives.dll for Wine 8, which lacks it.
 *
 * Since Go 1.22 the Windows runtime gets its random bytes from
 * ProcessPrng in bcryptprimitives.dll (Windows 10 and later) and stops with
 * "fatal error: bcryptprimitives.dll not found" when the DLL is missing, so
 * under Debian 12's Wine 8.0 no Go program starts. The end-to-end tests
 * (server/e2e/wine_test.go) build this shim with x86_64-w64-mingw32-gcc and
 * copy it into their Wine prefix's system32. It is test scaffolding only
 * and never ships to customers: real Windows 10 and later have the DLL.
 *
 * ProcessPrng fills the buffer with RtlGenRandom (advapi32's
 * SystemFunction036), which takes a ULONG length, so larger buffers go in
 * pieces. Like the real function, it always succeeds on a working system.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG n = length > 0x80000000u ? 0x80000000u : (ULONG)length;
        if (!SystemFunction036(data, n))
            return FALSE;
        data += n;
        length -= n;
    }
    return TRUE;
}

/* Built with -nostdlib: no C runtime to start, nothing to set up. */
BOOL WINAPI DllEntry(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
    (void)instance;
    (void)reason;
    (void)reserved;
    return TRUE;
}
