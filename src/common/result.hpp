// SPDX-License-Identifier: MIT
// A small expected-style result for the I/O-free layers (wire, assoc).
// Errors are plain enums; no exceptions cross layer boundaries.
#pragma once

#include <utility>
#include <variant>

namespace sctpmap {

template <class E>
struct Unexpected {
  E error;
};

template <class E>
Unexpected<E> unexpected(E e) {
  return Unexpected<E>{e};
}

template <class T, class E>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Unexpected<E> u) : v_(std::in_place_index<1>, u.error) {}   // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  E error() const { return std::get<1>(v_); }

 private:
  std::variant<T, E> v_;
};

template <class E>
class [[nodiscard]] Result<void, E> {
 public:
  Result() = default;
  Result(Unexpected<E> u) : failed_(true), error_(u.error) {}  // NOLINT
  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  E error() const { return error_; }

 private:
  bool failed_ = false;
  E error_{};
};

}  // namespace sctpmap
