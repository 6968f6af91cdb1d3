// Spanish for the directory pages: search and facility (see ../es.js).  Keys are the English sentences, as written in t().
export default {
  // ---- search (pages/search.js) ----
  'Messaging:': 'Mensajes:',
  'none, mail only': 'ninguno, solo cartas por correo',
  'not known yet': 'aún no se sabe',
  'On Kite': 'En Kite',
  'Address not recorded': 'Dirección no registrada',
  'Find a facility': 'Buscar un centro',
  'State or territory': 'Estado o territorio',
  'All states and territories': 'Todos los estados y territorios',
  'Type of facility': 'Tipo de centro',
  'Any type': 'Cualquier tipo',
  'Open or closed': 'Abierto o cerrado',
  'Clear search': 'Borrar la búsqueda',
  'Filter by state, type or status': 'Filtrar por estado, tipo o situación',
  'Facility directory': 'Directorio de centros',
  'Facility name, town or ZIP code': 'Nombre del centro, ciudad o código postal',
  'Search': 'Buscar',
  'Results appear as you type. Misspelled? We suggest what you may have meant.':
    'Los resultados aparecen mientras escribe. ¿Tiene un error de ortografía? Le sugerimos lo que quizás quiso decir.',
  'Search results': 'Resultados de la búsqueda',
  'Search every US prison and jail to learn which company handles messages there and how to reach someone inside.':
    'Busque entre todas las prisiones y cárceles de EE. UU. para saber qué compañía maneja los mensajes allí y cómo comunicarse con alguien que está adentro.',
  'in {state}': 'en {state}',
  'open only': 'solo abiertos',
  'closed only': 'solo cerrados',
  'No facilities found for “{q}” ({filters}).': 'No se encontraron centros para “{q}” ({filters}).',
  'No facilities found for “{q}”.': 'No se encontraron centros para “{q}”.',
  'No facilities found ({filters}).': 'No se encontraron centros ({filters}).',
  'No facilities found.': 'No se encontraron centros.',
  '{n} facility found for “{q}” ({filters}).': '{n} centro encontrado para “{q}” ({filters}).',
  '{n} facilities found for “{q}” ({filters}).': '{n} centros encontrados para “{q}” ({filters}).',
  '{n} facility found for “{q}”.': '{n} centro encontrado para “{q}”.',
  '{n} facilities found for “{q}”.': '{n} centros encontrados para “{q}”.',
  '{n} facility found ({filters}).': '{n} centro encontrado ({filters}).',
  '{n} facilities found ({filters}).': '{n} centros encontrados ({filters}).',
  '{n} facility found.': '{n} centro encontrado.',
  '{n} facilities found.': '{n} centros encontrados.',
  'How this works': 'Cómo funciona',
  'Type the name of the prison or jail, the town it is in, or its ZIP code. You can also pick a state to see every facility there.':
    'Escriba el nombre de la prisión o cárcel, la ciudad donde está o su código postal. También puede elegir un estado para ver todos sus centros.',
  'Open the facility to see which company handles messages, phone calls and money there.':
    'Abra el centro para ver qué compañía maneja allí los mensajes, las llamadas y el dinero.',
  'Follow that company’s steps. A message sent through the wrong company is never delivered.':
    'Siga los pasos de esa compañía. Un mensaje enviado por la compañía equivocada nunca se entrega.',
  'Check the spelling, or use fewer words — for example only the main part of the name, like “Coleman”.':
    'Revise la ortografía o use menos palabras; por ejemplo, solo la parte principal del nombre, como “Coleman”.',
  'Search by the town the facility is in, or by its ZIP code.': 'Busque por la ciudad donde está el centro o por su código postal.',
  'Remove a filter: choose “{allStates}”, “{anyType}” or “{openOrClosed}”.':
    'Quite un filtro: elija “{allStates}”, “{anyType}” o “{openOrClosed}”.',
  'If you still cannot find it, call the facility or the agency that holds the person and ask for the facility’s exact name.':
    'Si aún no lo encuentra, llame al centro o a la agencia que tiene a la persona bajo custodia y pregunte el nombre exacto del centro.',
  'Nothing matched. Things to try:': 'No hubo coincidencias. Puede intentar lo siguiente:',
  'Did you mean {suggestion}?': '¿Quiso decir {suggestion}?',
  '{n} facility found for “{q}”; the first {shown} are below.': '{n} centro encontrado para “{q}”; los primeros {shown} están abajo.',
  '{n} facilities found for “{q}”; the first {shown} are below.': '{n} centros encontrados para “{q}”; los primeros {shown} están abajo.',
  '{n} facility found for “{q}”:': '{n} centro encontrado para “{q}”:',
  '{n} facilities found for “{q}”:': '{n} centros encontrados para “{q}”:',
  'Showing {shown} of {total}': 'Mostrando {shown} de {total}',
  'Load more results': 'Cargar más resultados',
  'Try again': 'Inténtelo de nuevo',
  '({n} on)': '({n} en uso)',
  'Searching failed. Try again.': 'La búsqueda falló. Inténtelo de nuevo.',
  'Loading…': 'Cargando…',

  // ---- one facility (pages/facility.js) ----
  'Minimum': 'Mínima',
  'Medium': 'Media',
  'Close custody': 'Custodia estricta',
  'Maximum': 'Máxima',
  'Juvenile': 'Juvenil',
  'Not recorded': 'No registrado',
  'Not known yet': 'Aún no se sabe',
  'Kite, with messages': 'Kite, con los mensajes',
  'Not allowed at this facility': 'No se permiten en este centro',
  'Kite serves this facility.': 'Kite da servicio a este centro.',
  'You can exchange messages with someone here through Kite once you are their approved contact.':
    'Puede intercambiar mensajes por Kite con alguien de aquí una vez que sea su contacto aprobado.',
  'Kite does not serve this facility.': 'Kite no da servicio a este centro.',
  'Use {provider} to message someone here. A message sent through Kite or any other company will never be delivered.':
    'Use {provider} para enviar mensajes a alguien de aquí. Un mensaje enviado por Kite o por cualquier otra compañía nunca se entregará.',
  'Kite does not serve this facility, and it has no electronic messaging.':
    'Kite no da servicio a este centro, y el centro no tiene mensajes electrónicos.',
  'You can write a letter, with the person’s full name and ID number. Ask the facility for its mailing address and mail rules first: the address for letters can differ from the street address.':
    'Puede escribir una carta con el nombre completo y el número de identificación de la persona. Primero pregunte al centro su dirección postal y sus normas de correo: la dirección para cartas puede ser distinta de la dirección física.',
  'Kite does not serve this facility, and Kite does not know yet which company does.':
    'Kite no da servicio a este centro, y Kite aún no sabe qué compañía lo hace.',
  'Call the facility at {phone} and ask which company handles electronic messages. A message sent through the wrong company is never delivered.':
    'Llame al centro al {phone} y pregunte qué compañía maneja los mensajes electrónicos. Un mensaje enviado por la compañía equivocada nunca se entrega.',
  'Ask the facility which company handles electronic messages. A message sent through the wrong company is never delivered.':
    'Pregunte al centro qué compañía maneja los mensajes electrónicos. Un mensaje enviado por la compañía equivocada nunca se entrega.',
  'Go to your account': 'Ir a su cuenta',
  'Create a free account': 'Crear una cuenta gratis',
  'Sign in': 'Iniciar sesión',
  'Go to {provider} ({site})': 'Ir a {provider} ({site})',
  'How to message someone here': 'Cómo enviar mensajes a alguien de aquí',
  'Steps with {provider}': 'Pasos con {provider}',
  'What to do': 'Qué hacer',
  'Or wait for an invitation.': 'O espere una invitación.',
  'The person inside must invite you.': 'La persona que está adentro debe invitarle.',
  'Ask them to send an invitation to your email address from their tablet. You will get an email with a link: open it, sign in or create a free account with that same email address, and accept.':
    'Pídale que le envíe una invitación a su correo electrónico desde su tableta. Recibirá un correo con un enlace: ábralo, inicie sesión o cree una cuenta gratis con ese mismo correo electrónico, y acepte.',
  'An invitation is valid for {n} day. If it runs out, they can send a new one.':
    'Una invitación es válida por {n} día. Si vence, la persona puede enviar otra.',
  'An invitation is valid for {n} days. If it runs out, they can send a new one.':
    'Una invitación es válida por {n} días. Si vence, la persona puede enviar otra.',
  'Ask to become their contact': 'Pida ser su contacto',
  'Sign in or create a free account first. Then come back to this page and send your request.':
    'Primero inicie sesión o cree una cuenta gratis. Luego vuelva a esta página y envíe su solicitud.',
  'You are signed in as {role}. Family and friends send requests from their own Kite account.':
    'Inició sesión como {role}. Los familiares y amigos envían solicitudes desde su propia cuenta de Kite.',
  'Rules at this facility': 'Normas de este centro',
  'See your contacts and requests': 'Ver sus contactos y solicitudes',
  'Their resident number': 'Su número de residente',
  'The ID number the facility gave them. They can tell you, or the facility can.':
    'El número de identificación que le dio el centro. Se lo puede decir la persona o el centro.',
  'Their first name': 'Su nombre',
  'Their last name': 'Su apellido',
  'Send request': 'Enviar solicitud',
  'Sending…': 'Enviando…',
  'How do you want to find them?': '¿Cómo quiere encontrar a la persona?',
  'By resident number': 'Por número de residente',
  'By first and last name': 'Por nombre y apellido',
  'Enter their resident number.': 'Escriba su número de residente.',
  'Enter their first name.': 'Escriba su nombre.',
  'Enter their last name.': 'Escriba su apellido.',
  'Request sent.': 'Solicitud enviada.',
  '{name} will see it on their tablet and can approve or decline it. If they do not answer, it is approved after the waiting period.':
    '{name} la verá en su tableta y podrá aprobarla o rechazarla. Si no responde, se aprueba después del período de espera.',
  '{name} will see it on their tablet and can approve or decline it.':
    '{name} la verá en su tableta y podrá aprobarla o rechazarla.',
  'Follow it on your contacts page': 'Sígala en su página de contactos',
  'See your contacts.': 'Ver sus contactos.',
  'Find the person by their resident number, or by their name as the facility has it. They will see your name and email address.':
    'Busque a la persona por su número de residente o por su nombre tal como lo tiene el centro. La persona verá su nombre y su correo electrónico.',
  'Find the person by their resident number. They will see your name and email address.':
    'Busque a la persona por su número de residente. La persona verá su nombre y su correo electrónico.',
  'Facility': 'Centro',
  'Loading the facility…': 'Cargando el centro…',
  'The prices could not be loaded. Reload the page to try again.':
    'No se pudieron cargar los precios. Vuelva a cargar la página para intentarlo de nuevo.',
  'Address and contact': 'Dirección y contacto',
  'Address': 'Dirección',
  'County': 'Condado',
  'Phone': 'Teléfono',
  'Website': 'Sitio web',
  'Who provides each service': 'Quién ofrece cada servicio',
  'About this facility': 'Sobre este centro',
  'Type': 'Tipo',
  'Status': 'Estado',
  'Security level': 'Nivel de seguridad',
  'Population': 'Población',
  'Capacity': 'Capacidad',
  'Bureau of Prisons code': 'Código de la Oficina Federal de Prisiones',
  'These details come from public records and can be out of date. Before you send money or start an account, you can call the facility to confirm.':
    'Estos datos vienen de registros públicos y pueden no estar al día. Antes de enviar dinero o abrir una cuenta, puede llamar al centro para confirmarlos.',
  '← Back to search': '← Volver a la búsqueda',
  'Facility not found': 'No se encontró el centro',
  'We could not find this facility': 'No pudimos encontrar este centro',
  'The link may be incomplete, or the facility may have been removed from the directory. Search for it by name, town or ZIP code instead.':
    'Puede que el enlace esté incompleto o que el centro se haya quitado del directorio. Búsquelo por nombre, ciudad o código postal.',
  'Search the directory': 'Buscar en el directorio',
};
