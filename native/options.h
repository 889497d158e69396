// Reading a JS options object in a binding: each field checked on the JS thread,
// with an error naming `options.<key>` and what it must be.
#pragma once
#include <napi.h>

#include <torch/torch.h>

#include <string>

namespace dpl {

// options[key] as a finite non-negative number, or `fallback` when absent/undefined.
double NumberField(const Napi::Object& o, const char* key, double fallback);

// options[key] as a non-negative integer, or `fallback` when absent/undefined.
int64_t IntField(const Napi::Object& o, const char* key, int64_t fallback);

// options[key] as a string, or `fallback` when absent/undefined.
std::string StringField(const Napi::Object& o, const char* key, const std::string& fallback);

// options.device ('cpu', 'cuda', 'cuda:N') parsed and checked; `fallback` when absent, or required when null.
torch::Device DeviceField(const Napi::Object& o, const char* fallback = nullptr);

// The options argument itself: an object, or an error naming `what`.
Napi::Object OptionsObject(const Napi::Value& value, const std::string& what = "options");

}  // namespace dpl
