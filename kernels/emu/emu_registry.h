// Kernel entry points of the emulation build, by name: each family's translation unit registers its extern "C"
// entries (EMU_REGISTER), with the parameter kinds derived from the C++ signature, so the runner can check
// the host's argument list (count, and pointer / int32 / int64 / float32) before a launch.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <type_traits>
#include <utility>

namespace emu {

struct Entry {
    std::string kinds;  // p pointer, i int32, l int64, f float32
    std::function<void(void**)> run;
};

std::map<std::string, Entry>& registry();
int launch(const Entry& e, const std::string& name, dim3 grid, dim3 block, size_t smemBytes, void** args);

template <class T>
constexpr char kind_of() {
    if constexpr (std::is_pointer_v<T>) return 'p';
    else if constexpr (std::is_same_v<T, float>) return 'f';
    else if constexpr (std::is_integral_v<T> && sizeof(T) == 8) return 'l';
    else if constexpr (std::is_integral_v<T> && sizeof(T) == 4) return 'i';
    else return '?';
}

template <class... A, size_t... I>
void invoke(void (*f)(A...), void** args, std::index_sequence<I...>) {
    f(*static_cast<std::remove_cv_t<A>*>(args[I])...);
}

struct Registrar {
    template <class... A>
    Registrar(const char* name, void (*f)(A...)) {
        registry()[name] = Entry{std::string{kind_of<A>()...}, [f](void** args) { invoke(f, args, std::index_sequence_for<A...>{}); }};
    }
};

}  // namespace emu

#define EMU_REGISTER(name) static ::emu::Registrar emu_registrar_##name(#name, &name);
