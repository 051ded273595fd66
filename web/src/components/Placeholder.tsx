/** Stand-in for a screen still being built (scaffolding only; none may remain at release). */
export function Placeholder({ title }: { title: string }) {
  return (
    <section className="page">
      <h1>{title}</h1>
    </section>
  );
}
