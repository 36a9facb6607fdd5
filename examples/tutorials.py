"""Walk through the classic autograd tutorial examples with plugrad and print what PyTorch prints.

Run it with ``python examples/tutorials.py``; every line of output matches what the same code prints with PyTorch
(random values aside).
"""

from __future__ import annotations

import plugrad as torch
from plugrad.autograd import Variable


def section(title: str) -> None:
    print(f"\n== {title} ==")


def main() -> None:
    torch.manual_seed(0)

    section("Leaves, requires_grad and grad")
    a = torch.tensor(2.0, requires_grad=True)
    b = torch.tensor(3.0, requires_grad=True)
    c = a * b
    print("a.is_leaf:", a.is_leaf, "| c.is_leaf:", c.is_leaf)
    c.backward()
    print("a.grad:", a.grad, "| b.grad:", b.grad)

    section("y = 5(x+1)^2, o = 1/2 sum(y)")
    x = torch.ones(2, requires_grad=True)
    y = 5 * (x + 1) ** 2
    o = (1 / 2) * torch.sum(y)
    print(y)
    print(o)
    o.backward()
    print("x.grad:", x.grad)

    section("The computational graph")
    x = torch.ones(3, 3, requires_grad=True)
    y = x + 5
    print(y)
    print(y.grad_fn)
    x = torch.ones(2, 2, requires_grad=True)
    z = (x + 3) ** 2
    res = z.mean()
    print(z)
    print(res)
    res.backward()
    print(x.grad)

    section("Derivatives and partial derivatives")
    x = torch.tensor(2.0, requires_grad=True)
    y = x**2
    y.backward()
    print("y = x^2 at 2:", y.item(), "dy/dx:", x.grad.item())
    x = torch.tensor(2.0, requires_grad=True)
    z = x**2 + 2 * x + 1
    z.backward()
    print("z = x^2 + 2x + 1 at 2:", z.item(), "dz/dx:", x.grad.item())
    u = torch.tensor(1.0, requires_grad=True)
    v = torch.tensor(2.0, requires_grad=True)
    f = u * v + u**2
    f.backward()
    print("f = uv + u^2 at (1, 2):", f.item(), "df/du:", u.grad.item(), "df/dv:", v.grad.item())

    section("Accumulation and retain_graph")
    a = torch.tensor(2.0, requires_grad=True)
    b = torch.tensor(3.0, requires_grad=True)
    c = a * b
    d = torch.tensor(4.0, requires_grad=True)
    e = c * d
    c.backward(retain_graph=True)
    e.backward()
    print("a.grad:", a.grad, "| b.grad:", b.grad)

    section("The 2017 Variable API")
    x = Variable(torch.randn(2, 2), requires_grad=True)
    z = (2 * x) ** 3
    z.backward(torch.ones(2, 2), retain_graph=True)
    print("dz/dx = 24 x^2:", x.grad)
    x.grad.data.zero_()
    out = z.mean()
    out.backward()
    print("d mean(z)/dx = 6 x^2:", x.grad)

    section("The gradient of sum(A^10)")
    A = torch.tensor([[0.1, 0.2], [0.3, 0.4]], requires_grad=True)
    torch.sum(torch.matrix_power(A, 10)).backward()
    print(A.grad)
    A9 = torch.matrix_power(A.detach(), 9).requires_grad_()
    A10 = A9 @ A.detach()
    torch.sum(A10).backward()
    print("with A^9 as a leaf:", A9.grad)


if __name__ == "__main__":
    main()
