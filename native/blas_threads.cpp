#include "blas_threads.h"

#include <dlfcn.h>
#include <link.h>

#include <cstring>
#include <mutex>

namespace dpl {
namespace {

struct OpenBlas {
  void (*set)(int) = nullptr;
  int (*get)() = nullptr;
};

// The addon is dlopen'ed without RTLD_GLOBAL, so its dependencies (LibTorch and the
// BLAS it links) are not in the global scope: look through the loaded objects.
int FindInObject(struct dl_phdr_info* info, size_t, void* data) {
  auto* found = static_cast<OpenBlas*>(data);
  if (!info->dlpi_name || !std::strstr(info->dlpi_name, "blas")) return 0;
  void* handle = dlopen(info->dlpi_name, RTLD_LAZY | RTLD_NOLOAD);
  if (!handle) return 0;
  found->set = reinterpret_cast<void (*)(int)>(dlsym(handle, "openblas_set_num_threads"));
  found->get = reinterpret_cast<int (*)()>(dlsym(handle, "openblas_get_num_threads"));
  dlclose(handle);  // RTLD_NOLOAD took a reference; the library stays loaded by LibTorch
  return found->set && found->get ? 1 : 0;
}

const OpenBlas& Find() {
  static OpenBlas blas;
  static std::once_flag once;
  std::call_once(once, [] {
    dl_iterate_phdr(FindInObject, &blas);
    if (!blas.set || !blas.get) blas = OpenBlas{};
  });
  return blas;
}

}  // namespace

void SetBlasThreads(int n) {
  // Only on a change: OpenBLAS restarts its pool when the count is set.
  if (n > 0 && Find().set && Find().get() != n) Find().set(n);
}

int BlasThreads() { return Find().get ? Find().get() : 0; }

}  // namespace dpl
